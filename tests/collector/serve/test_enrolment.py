"""Issue #14, enrolment: a source id cannot be taken over, a source's kind limits what it reports, and
enrolment is rate-limited per peer and per secret. A real collector on loopback, a real DuckDB file.

Each test reproduces one finding of the issue and shows the status the attack now gets:

* re-enrolling another host's id cut it off and replaced its software list
  (test_hijack_by_re_enrolment_is_refused): ALREADY_EXISTS without a key, PERMISSION_DENIED with a
  wrong one; the victim keeps its key, its software and its remote-access finding;
* an agent key submitted a complete 0.0.0.0/0 sweep that made ghost findings
  (test_an_agent_key_cannot_send_a_scan_result): acked REJECTED, no scan stored, no ghost;
* 10,000 enrolments were accepted with no limit (test_an_enrolment_flood_is_refused_beyond_the_limit):
  RESOURCE_EXHAUSTED with retry-after-ms beyond the per-peer bucket.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from netcensus.v1 import query_pb2, query_pb2_grpc

from collector.client import CollectorClient
from collector.config import ServeConfig
from collector.serve.server import BackgroundCollector
from tests.collector.serve.enrolment_helpers import (
    AGENT,
    REJECTED,
    SCANNER,
    SECRET,
    STORED,
    enrol,
    refused,
    sweep_everything,
    with_software,
)
from tests.collector.serve.helpers import report_stream, snapshot

ADMIN = "enrolment-admin-token-91c2"
REMOTE_ACCESS_RULE = """\
rules:
  - id: remote-access-unapproved
    title: Remote access tool not on the approved list
    severity: high
    type: deny
    match:
      name: ["teamviewer*"]
"""
# Two in-use devices on a subnet no agent is on: only a sweep of it can make them ghosts.
REGISTER = """\
name,role,device_type,manufacturer,platform,serial,asset_tag,status,site,location,rack,position,face,tenant,primary_ip4,description
far-sw-01,Switch,C9300-48P,Cisco,ios-xe,FOC9990X001,EN-0001,active,HQ,Room,R01,1,front,IT,198.51.100.21/24,
far-sw-02,Switch,C9300-48P,Cisco,ios-xe,FOC9990X002,EN-0002,active,HQ,Room,R01,2,front,IT,198.51.100.22/24,
"""


class Clock:
    """A settable clock for the collector (approval expiry)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def start(tmp_path: Path, clock: Clock | None = None, **limits: object) -> BackgroundCollector:
    rules = tmp_path / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "remote.yaml").write_text(REMOTE_ACCESS_RULE, encoding="utf-8")
    config = ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(rules,),
                         refresh_interval=timedelta(0), enrol_secret=SECRET, admin_token=ADMIN,
                         **limits)  # type: ignore[arg-type]
    return BackgroundCollector(config, clock=clock or Clock())


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[BackgroundCollector]:
    with start(tmp_path) as c:
        yield c


def send(target: str, key: str, *reports: object) -> tuple[list[int], grpc.RpcError | None]:
    with grpc.insecure_channel(target) as ch:
        acks, err = report_stream(ch, [r.SerializeToString() for r in reports], key)  # type: ignore[attr-defined]
    return [a.status for a in acks], err


def findings(c: BackgroundCollector, ghost_after: timedelta | None = None) -> list[tuple[str, str, str]]:
    assert c.collector is not None
    snap = c.collector.refresh(ghost_after)
    return [(f.kind, f.hostname or "", f.software_name or "") for f in snap.findings]


# ------------------------------------------------------------------------- hijack by re-enrolment

def test_hijack_by_re_enrolment_is_refused(collector: BackgroundCollector) -> None:
    target = collector.target
    with grpc.insecure_channel(target) as ch:
        victim, victim_key = enrol(ch, "victim-01", hostname="fin-lt-007")
        assert send(target, victim_key, with_software(victim, 1, ["teamviewer", "openssl"], "fin-lt-007")) == (
            [STORED], None)
        before = findings(collector)
        assert ("unauthorised-software", "fin-lt-007", "teamviewer") in before

        # The attacker holds the fleet-wide secret, not the victim's key.
        err = refused(ch, victim, hostname="attacker")
        assert err.code() == grpc.StatusCode.ALREADY_EXISTS
        assert "netcensus sources approve victim-01" in (err.details() or "")
        assert "\n" not in (err.details() or "")
        # ... nor with a key of its own (a node key of another source).
        _, other_key = enrol(ch, "attacker-01")
        err = refused(ch, victim, key=other_key)
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "not the current key of source victim-01" in (err.details() or "")
        # ... nor by asking for the other kind.
        assert refused(ch, victim, kind=SCANNER).code() == grpc.StatusCode.ALREADY_EXISTS

    # The victim's key still works; its software list and the remote-access finding are still there.
    assert send(target, victim_key, with_software(victim, 2, ["teamviewer", "openssl"], "fin-lt-007")) == (
        [STORED], None)
    after = findings(collector)
    assert ("unauthorised-software", "fin-lt-007", "teamviewer") in after
    assert not any(host == "attacker" for _, host, _ in after)
    assert collector.collector is not None
    row = collector.collector.store.query("SELECT hostname, kind FROM sources WHERE source_id = ?", [victim])
    assert row == [{"hostname": "fin-lt-007", "kind": "agent"}]


def test_re_enrolment_with_its_own_key_renews_the_key(collector: BackgroundCollector) -> None:
    with grpc.insecure_channel(collector.target) as ch:
        source, old = enrol(ch, "renew-01")
        same, new = enrol(ch, source, key=old)
    assert same == source and new != old
    statuses, err = send(collector.target, old, snapshot(source, 1))
    assert statuses == [] and err is not None and err.code() == grpc.StatusCode.UNAUTHENTICATED
    assert send(collector.target, new, snapshot(source, 1)) == ([STORED], None)


def test_a_source_kind_is_fixed_at_first_enrolment(collector: BackgroundCollector) -> None:
    with grpc.insecure_channel(collector.target) as ch:
        source, key = enrol(ch, "kind-01", kind=AGENT)
        err = refused(ch, source, kind=SCANNER, key=key)
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "enrolled as agent" in (err.details() or "")
        # The refused call changed nothing: the key still works, the kind is still agent.
        assert send(collector.target, key, snapshot(source, 1)) == ([STORED], None)
    assert collector.collector is not None
    assert collector.collector.store.query("SELECT kind FROM sources WHERE source_id = ?", [source]) == [
        {"kind": "agent"}]


def test_enrolling_without_an_id_gets_a_fresh_one(collector: BackgroundCollector) -> None:
    with grpc.insecure_channel(collector.target) as ch:
        first, _ = enrol(ch)
        second, _ = enrol(ch)
    assert first and second and first != second


# --------------------------------------------------------------------------------- admin approval

def test_an_admin_approval_allows_one_re_enrolment(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    with start(tmp_path, clock, enrol_approval_ttl=timedelta(minutes=10)) as c, \
            grpc.insecure_channel(c.target) as ch:
        source, old = enrol(ch, "reinstalled-01")
        # Approval needs the admin token.
        with pytest.raises(grpc.RpcError) as info:
            query_pb2_grpc.AdminStub(ch).ApproveEnrolment(query_pb2.ApproveEnrolmentRequest(source_id=source),
                                                          timeout=10)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert refused(ch, source).code() == grpc.StatusCode.ALREADY_EXISTS
        with CollectorClient(c.target, token=ADMIN) as admin:
            assert admin.approve_enrolment("never-enrolled") is None
            expires = admin.approve_enrolment(source)
        assert expires is not None and expires == clock.now + timedelta(minutes=10)
        same, new = enrol(ch, source, hostname="reinstalled-01")  # no key: the machine lost it
        assert same == source and new != old
        # One-shot: a second enrolment without the key is refused again; the new key works, the old not.
        assert refused(ch, source).code() == grpc.StatusCode.ALREADY_EXISTS
        assert send(c.target, new, snapshot(source, 1)) == ([STORED], None)
        assert send(c.target, old, snapshot(source, 2))[1] is not None
        # An approval not used in time expires.
        with CollectorClient(c.target, token=ADMIN) as admin:
            assert admin.approve_enrolment(source) is not None
        clock.now += timedelta(minutes=11)
        assert refused(ch, source).code() == grpc.StatusCode.ALREADY_EXISTS
    audit = [r.getMessage() for r in caplog.records if "reinstalled-01" in r.getMessage()]
    assert any("approved by bootstrap (admin)" in line for line in audit), audit
    assert any("re-enrolled from" in line and "on the approval of bootstrap (admin)" in line for line in audit), audit


# ----------------------------------------------------------------------------------- kind limits

def test_an_agent_key_cannot_send_a_scan_result(collector: BackgroundCollector) -> None:
    target = collector.target
    with CollectorClient(target, token=ADMIN) as admin:
        admin.import_register(REGISTER.encode(), "netbox", "far.csv")
    with grpc.insecure_channel(target) as ch:
        agent, agent_key = enrol(ch, "endpoint-01")
        scanner, scanner_key = enrol(ch, "scan-01", kind=SCANNER)
    assert send(target, agent_key, snapshot(agent, 1)) == ([STORED], None)

    with grpc.insecure_channel(target) as ch:
        acks, err = report_stream(ch, [sweep_everything(agent, 2).SerializeToString()], agent_key)
    assert err is None and [a.status for a in acks] == [REJECTED]
    assert "enrolled as agent may not send scan reports" in acks[0].reason
    assert collector.collector is not None
    assert collector.collector.store.query("SELECT count(*) AS n FROM scan_runs") == [{"n": 0}]
    assert not [f for f in findings(collector, timedelta(0)) if f[0] == "ghost"]

    # A scanner may not send host reports either.
    statuses, _ = send(target, scanner_key, snapshot(scanner, 1))
    assert statuses == [REJECTED]
    # The same sweep from a scanner is stored and does make ghosts: the agent's was refused for its kind.
    assert send(target, scanner_key, sweep_everything(scanner, 2)) == ([STORED], None)
    ghosts = {host for kind, host, _ in findings(collector, timedelta(0)) if kind == "ghost"}
    assert {"far-sw-01", "far-sw-02"} <= ghosts


# ----------------------------------------------------------------------------------- rate limits

def test_an_enrolment_flood_is_refused_beyond_the_limit(collector: BackgroundCollector) -> None:
    """10,000 enrolments from one peer at the default limits: the burst and the refill pass, the rest is
    told when to retry, and only accepted enrolments reach the sources table."""
    config = collector.config
    accepted, exhausted, retry_after, other = 0, 0, set(), []
    t0 = time.monotonic()
    with grpc.insecure_channel(collector.target) as ch:
        for _ in range(10_000):
            try:
                enrol(ch)
                accepted += 1
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                    other.append((exc.code(), exc.details()))
                    continue
                exhausted += 1
                retry_after.update(v for k, v in exc.trailing_metadata() or () if k == "retry-after-ms")
    elapsed = time.monotonic() - t0
    assert other == []
    assert accepted >= config.enrol_burst_per_peer
    assert accepted <= config.enrol_burst_per_peer + config.enrol_rate_per_peer * elapsed + 1
    assert exhausted == 10_000 - accepted
    assert retry_after and all(int(v) >= 1 for v in retry_after)
    assert collector.collector is not None
    assert collector.collector.store.query("SELECT count(*) AS n FROM sources") == [{"n": accepted}]


def test_the_per_secret_limit_and_wrong_secrets(tmp_path: Path) -> None:
    with start(tmp_path, enrol_rate_per_peer=0.0, enrol_rate_per_secret=0.001, enrol_burst_per_secret=5.0) as c, \
            grpc.insecure_channel(c.target) as ch:
        for _ in range(5):
            enrol(ch)
        err = refused(ch)
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "enrol_rate_per_secret" in (err.details() or "")
        assert dict(err.trailing_metadata() or ()).get("retry-after-ms", "").isdigit()
        # A wrong secret is refused as such, and does not spend the fleet's tokens.
        assert refused(ch, secret="guess").code() == grpc.StatusCode.UNAUTHENTICATED
    with start(tmp_path / "peer", enrol_rate_per_peer=0.001, enrol_burst_per_peer=3.0) as c, \
            grpc.insecure_channel(c.target) as ch:
        # Wrong secrets spend the peer's tokens: guessing is rate-limited too.
        for _ in range(3):
            assert refused(ch, secret="guess").code() == grpc.StatusCode.UNAUTHENTICATED
        assert refused(ch).code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_the_sources_approve_command(collector: BackgroundCollector) -> None:
    from tests.conftest import run_cli

    with grpc.insecure_channel(collector.target) as ch:
        source, _ = enrol(ch, "cli-approve-01")
    env = {"NETCENSUS_ADMIN_TOKEN": ADMIN, "NETCENSUS_TOKEN": ADMIN}
    r = run_cli("netcensus", "sources", "approve", source, "--collector", collector.target, env=env)
    assert r.code == 0, r.err
    assert r.out.startswith(f"approved one re-enrolment of {source} until ")
    r = run_cli("netcensus", "sources", "approve", "nobody", "--collector", collector.target, env=env)
    assert r.code == 1 and "has no live key" in r.err and "Traceback" not in r.err
    r = run_cli("netcensus", "sources", "approve", source)
    assert r.code == 1 and "needs --collector" in r.err and len(r.err.strip().splitlines()) == 1
    with grpc.insecure_channel(collector.target) as ch:
        assert enrol(ch, source)[0] == source

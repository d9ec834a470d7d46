"""Posture findings end to end: the agent's encoder → a real collector (gRPC on loopback, real
DuckDB file, the shipped rule packs) → `netcensus findings` and `netcensus sql`.

Machines report the security facts the agent collects (pending security updates, disk
encryption, firewalls, endpoint protection, listening ports) with the collectors' outcomes; a
collector that failed must raise nothing, a fact that is fine must raise nothing, and every
other one is a finding of its own kind with its evidence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from netcensus.v1 import report_pb2

from agent.facts.model import (
    CollectorState,
    CollectorStatus,
    DiskEncryption,
    EndpointProtection,
    Firewall,
    Hardware,
    HostFacts,
    Inventory,
    ListeningPort,
    NetworkInterface,
    OsInfo,
    PendingUpdate,
    SecurityFacts,
    SoftwareItem,
)
from agent.transport.client import IngestClient
from agent.transport.encode import encode_snapshot
from agent.transport.state import NodeState
from collector.config import ServeConfig, default_rules_dir
from collector.serve.server import BackgroundCollector
from tests.conftest import TEST_TOKEN, run_cli

SECURITY_COLLECTORS = ("security_updates", "disk_encryption", "firewall", "endpoint_protection", "listening_ports")
PENDING = (PendingUpdate("openssl", "amd64", "3.0.11-1~deb12u1", "3.0.13-1~deb12u1", "bookworm-security"),
           PendingUpdate("libexpat1", "amd64", "2.5.0-1", "2.5.0-1+deb12u1", "bookworm-security"))
NO_FIREWALL = (Firewall("nftables", enabled=False, active=False, detail="0 tables"),)
FIREWALL_ON = (Firewall("nftables", enabled=True, active=True, rules=14),)
FALCON = (EndpointProtection("CrowdStrike Falcon", "CrowdStrike", running=True),)
RDP_AND_LOCAL_VNC = (ListeningPort("tcp", "0.0.0.0", 3389, 0, "xrdp"), ListeningPort("tcp6", "::", 3389, 0, "xrdp"),
                     ListeningPort("tcp", "127.0.0.1", 5901, 0, "Xtigervnc"))


def machine(name: str, mac: str, ip: str, chassis: str, security: SecurityFacts, *,
            failed: tuple[str, ...] = (), software: tuple[SoftwareItem, ...] = ()) -> Inventory:
    """An agent inventory with security facts; `failed` collectors report FAILED (unknown, not 'none')."""
    facts = HostFacts(hostname=name, os=OsInfo(family="linux", name="Debian GNU/Linux", version="12"),
                      hardware=Hardware(vendor="Dell Inc.", model="Latitude 5420", chassis_type=chassis),
                      interfaces=(NetworkInterface(name="eth0", mac=mac, addresses=(f"{ip}/24",), is_up=True),),
                      security=security)
    runs = (CollectorStatus("deb", CollectorState.OK, 5, len(software)),
            *(CollectorStatus(c, CollectorState.FAILED if c in failed else CollectorState.OK, 3, 0, "boom"
                              if c in failed else "") for c in SECURITY_COLLECTORS))
    return Inventory(facts=facts, software=software, collectors=runs)


def send(target: str, state_dir: Path, inventory: Inventory, at: datetime) -> None:
    state = NodeState.load(state_dir / "state.json")
    with IngestClient(target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        report = encode_snapshot(inventory, source_id=state.source_id, seq=state.take_seq(), now=at)
        acks = list(client.send([report]))
    assert acks and all(a.stored or a.duplicate for a in acks)


CLAM = (SoftwareItem("clamav", "1.0.5+dfsg-1", "deb", arch="amd64"),)


@pytest.fixture
def estate(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A collector over the shipped rules, fed by four machines; yields (target, db)."""
    db = tmp_path / "nc.duckdb"
    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(default_rules_dir(),),
                         refresh_interval=timedelta(0), admin_token=TEST_TOKEN, open_enrolment=True)
    now = datetime.now(UTC)
    with BackgroundCollector(config) as running:
        t = running.target
        # lt-bad: a laptop with everything wrong; reported twice, openssl already pending a day earlier.
        earlier = SecurityFacts(pending_security_updates=PENDING[:1], firewalls=FIREWALL_ON, endpoint_protection=FALCON)
        send(t, tmp_path / "a", machine("lt-bad", "00:1b:21:0a:01:01", "192.0.2.21", "Notebook", earlier,
                                        software=CLAM), now - timedelta(days=1))
        send(t, tmp_path / "a", machine("lt-bad", "00:1b:21:0a:01:01", "192.0.2.21", "Notebook", SecurityFacts(
            listening=RDP_AND_LOCAL_VNC, pending_security_updates=PENDING, firewalls=NO_FIREWALL,
            disk_encryption=DiskEncryption(root_encrypted=False)), software=CLAM), now)
        # lt-good: patched, encrypted, firewalled, protected by a product the agent detected (no package).
        send(t, tmp_path / "b", machine("lt-good", "00:1b:21:0a:01:02", "192.0.2.22", "Laptop", SecurityFacts(
            listening=(ListeningPort("tcp", "127.0.0.1", 631, 0, "cupsd"),), endpoint_protection=FALCON,
            firewalls=FIREWALL_ON, disk_encryption=DiskEncryption(root_encrypted=True)),
            software=(SoftwareItem("bash", "5.2.15-2+b8", "deb"),)), now)
        # lt-blind: every security collector failed: nothing is known, nothing is raised.
        send(t, tmp_path / "c", machine("lt-blind", "00:1b:21:0a:01:03", "192.0.2.23", "Laptop", SecurityFacts(),
                                        failed=SECURITY_COLLECTORS, software=CLAM), now)
        # lt-noav: fine but for endpoint protection: the agent found no product, no package matches.
        send(t, tmp_path / "d", machine("lt-noav", "00:1b:21:0a:01:04", "192.0.2.24", "Laptop", SecurityFacts(
            firewalls=FIREWALL_ON, disk_encryption=DiskEncryption(root_encrypted=True)),
            software=(SoftwareItem("bash", "5.2.15-2+b8", "deb"),)), now)
        yield t, db


def findings(*args: str) -> list[dict[str, object]]:
    result = run_cli("netcensus", "findings", *args, "--format", "json")
    assert result.code == 0, result.err
    rows: list[dict[str, object]] = json.loads(result.out)
    return rows


POSTURE = ("unpatched", "disk-unencrypted", "firewall-off", "endpoint-protection-missing", "remote-access-port-open")


def test_posture_findings_kinds_and_evidence(estate: tuple[str, Path]) -> None:
    target, _ = estate
    via_grpc = findings("--collector", target, "--kind", ",".join(POSTURE))
    got = sorted((f["kind"], f["hostname"], f["rule_id"]) for f in via_grpc)
    assert got == [
        ("disk-unencrypted", "lt-bad", "posture-disk-unencrypted-laptop"),
        ("endpoint-protection-missing", "lt-noav", "endpoint-protection-missing-linux-macos"),
        ("firewall-off", "lt-bad", "posture-firewall-off"),
        ("remote-access-port-open", "lt-bad", "posture-remote-access-port"),  # 3389/tcp once; 5901 is loopback
        ("unpatched", "lt-bad", "posture-unpatched"),
    ]
    unpatched = next(f for f in via_grpc if f["kind"] == "unpatched")
    assert "2 pending security updates" in str(unpatched["summary"])
    # the oldest (openssl) has been pending since the report of a day before
    oldest = datetime.fromisoformat(str(unpatched["first_seen"]).replace("Z", "+00:00"))
    assert timedelta(hours=23) < datetime.now(UTC) - oldest < timedelta(hours=25)
    assert unpatched["severity"] == "high" and unpatched["asset_id"]
    methods = [e["method"] for e in unpatched["evidence"]]  # type: ignore[attr-defined]
    assert methods == ["agent", "rule"]
    assert "openssl 3.0.11-1~deb12u1 -> 3.0.13-1~deb12u1 (bookworm-security)" in unpatched["evidence"][0]["detail"]  # type: ignore[index]
    port = next(f for f in via_grpc if f["kind"] == "remote-access-port-open")
    assert "tcp 0.0.0.0:3389 (xrdp)" in str(port["summary"])

    # --rules does not apply to a collector: refused in one line, nothing printed on stdout
    refused = run_cli("netcensus", "findings", "--collector", target, "--rules", str(default_rules_dir()))
    assert refused.code == 1 and refused.out == "" and len(refused.err.strip().splitlines()) == 1
    assert "--rules applies to --db only" in refused.err


def test_opened_at_is_stable_across_runs_of_one_query(estate: tuple[str, Path]) -> None:
    target, _ = estate
    for window in ((), ("--ghost-after", "0"), ("--ghost-after", "30d")):
        first = findings("--collector", target, *window)
        again = findings("--collector", target, *window)
        assert first and [(f["finding_id"], f["opened_at"]) for f in first] == [
            (f["finding_id"], f["opened_at"]) for f in again]


def test_db_after_the_collector_answers_the_same(tmp_path: Path) -> None:
    db = tmp_path / "nc.duckdb"
    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(default_rules_dir(),),
                         refresh_interval=timedelta(0), admin_token=TEST_TOKEN, open_enrolment=True)
    now = datetime.now(UTC)
    with BackgroundCollector(config) as running:
        send(running.target, tmp_path / "a", machine("lt-bad", "00:1b:21:0a:01:01", "192.0.2.21", "Notebook",
                                                     SecurityFacts(listening=RDP_AND_LOCAL_VNC,
                                                                   pending_security_updates=PENDING,
                                                                   firewalls=NO_FIREWALL), software=(
            SoftwareItem("teamviewer", "15.49.2", "deb"),)), now)
        via_grpc = findings("--collector", running.target)
        zero_grpc = findings("--collector", running.target, "--ghost-after", "0")
    via_db = findings("--db", str(db))
    assert via_db == via_grpc
    assert {f["kind"] for f in via_db} >= {"unpatched", "firewall-off", "remote-access-port-open",
                                          "unauthorised-software", "zombie"}
    tv = next(f for f in via_db if f["kind"] == "unauthorised-software")
    assert tv["first_seen_installed"] == tv["first_seen"] and tv["first_seen_installed"]
    assert all(f["first_seen_installed"] is None for f in via_db if f["kind"] != "unauthorised-software")
    # another window: same findings and opened_at as the collector gave for it, run after run
    zero_db = findings("--db", str(db), "--ghost-after", "0")
    assert [(f["finding_id"], f["opened_at"]) for f in zero_db] == [(f["finding_id"], f["opened_at"])
                                                                      for f in zero_grpc]
    assert findings("--db", str(db), "--ghost-after", "0") == zero_db

    table = run_cli("netcensus", "findings", "--db", str(db), "--kind", "unauthorised-software")
    assert "FIRST SEEN INSTALLED" in table.out

    sql = run_cli("netcensus", "sql", "--db", str(db), "--format", "json",
                  "SELECT hostnames[1] AS host, pending_security_updates, oldest_pending_since, disk_encrypted, "
                  "firewall_active, endpoint_protection, listening FROM assets WHERE posture_reported_at IS NOT NULL")
    assert sql.code == 0, sql.err
    (row,) = json.loads(sql.out)
    assert row["host"] == "lt-bad" and row["pending_security_updates"] == 2 and row["firewall_active"] is False
    assert row["disk_encrypted"] is False and row["endpoint_protection"] == []
    assert row["listening"] == ["tcp 0.0.0.0:3389 (xrdp)", "tcp6 [::]:3389 (xrdp)", "tcp 127.0.0.1:5901 (Xtigervnc)"]

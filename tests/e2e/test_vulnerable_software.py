"""Vulnerable software end to end: a real agent report, a real collector, an imported OSV feed, the CLI.

The feed is imported into the database before the collector opens it (`netcensus vulns import`), the
agent reports Debian 7 with the Heartbleed-vulnerable OpenSSL, and the finding must open, name the
fix, be filterable with `--kind vulnerable-software`, and resolve when the agent reports the fixed
revision.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from netcensus.v1 import report_pb2

from agent.facts.model import (
    CollectorState,
    CollectorStatus,
    Hardware,
    HostFacts,
    Inventory,
    NetworkInterface,
    OsInfo,
    SoftwareItem,
)
from agent.transport.client import IngestClient
from agent.transport.encode import encode_snapshot
from agent.transport.state import NodeState
from collector.config import ServeConfig
from collector.serve.server import BackgroundCollector
from tests.collector.vulns.vulns_support import OSV
from tests.conftest import TEST_TOKEN, run_cli


def _openssl(version: str, *, purl: bool = True) -> tuple[SoftwareItem, ...]:
    return tuple(SoftwareItem(name, version, "deb", arch="amd64", source_package="openssl",
                              purl=f"pkg:deb/debian/{name}@{version}?arch=amd64" if purl else "")
                 for name in ("openssl", "libssl1.0.0"))


def _report(target: str, state_dir: Path, software: tuple[SoftwareItem, ...], name: str = "web-07",
            mac: str = "00:1b:21:0a:07:07", serial: str = "7XK2Q12") -> None:
    facts = HostFacts(
        hostname=name, os=OsInfo(family="linux", name="Debian GNU/Linux", version="7", id="debian"),
        hardware=Hardware(vendor="Dell Inc.", model="PowerEdge R620", serial=serial),
        interfaces=(NetworkInterface(name="eth0", mac=mac, addresses=("192.0.2.77/24",), is_up=True),))
    inventory = Inventory(facts=facts, software=software,
                          collectors=(CollectorStatus("deb", CollectorState.OK, 5, len(software)),))
    state = NodeState.load(state_dir / "state.json")
    with IngestClient(target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        (ack,) = client.send([encode_snapshot(inventory, source_id=state.source_id, seq=state.take_seq(),
                                              now=datetime.now(UTC))])
    assert ack.stored, ack.reason


def _vulns(target: str, *extra: str) -> list[dict[str, object]]:
    out = run_cli("netcensus", "findings", "--collector", target, "--format", "json", "--kind",
                  "vulnerable-software", *extra, env={"NETCENSUS_TOKEN": TEST_TOKEN})
    assert out.code == 0, out.err
    return json.loads(out.out)


def test_heartbleed_opens_and_resolves_on_upgrade(tmp_path: Path, empty_rules: Path) -> None:
    db = tmp_path / "nc.duckdb"
    out = run_cli("netcensus", "vulns", "import", str(OSV), "--db", str(db), "--source", "osv")
    assert out.code == 0, out.err
    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(empty_rules,), ghost_after=timedelta(days=14),
                         refresh_interval=timedelta(0), admin_token=TEST_TOKEN, open_enrolment=True)
    with BackgroundCollector(config) as running:
        _report(running.target, tmp_path, _openssl("1.0.1e-2+deb7u4"))
        (f,) = _vulns(running.target)
        assert (f["rule_id"], f["software_name"], f["software_version"]) == \
            ("CVE-2014-0160", "openssl", "1.0.1e-2+deb7u4")
        assert f["hostname"] == "web-07" and f["severity"] == "high" and f["resolved_at"] is None
        assert "fixed in 1.0.1e-2+deb7u5" in str(f["summary"])
        assert any(e["method"] == "agent" for e in f["evidence"])  # type: ignore[union-attr]
        assert _vulns(running.target, "--severity", "critical") == []

        # A machine whose agent wrote no purls: its OS name says Debian, its VERSION_ID the release.
        _report(running.target, tmp_path / "b", _openssl("1.0.1e-2+deb7u3", purl=False), name="web-08",
                mac="00:1b:21:0a:08:08", serial="7XK2Q13")
        assert sorted(str(r["hostname"]) for r in _vulns(running.target)) == ["web-07", "web-08"]
        _report(running.target, tmp_path / "b", _openssl("1.0.1e-2+deb7u5", purl=False), name="web-08",
                mac="00:1b:21:0a:08:08", serial="7XK2Q13")

        _report(running.target, tmp_path, _openssl("1.0.1e-2+deb7u5"))  # upgraded past the fix
        assert _vulns(running.target) == []
        resolved = [r for r in _vulns(running.target, "--include-resolved") if r["resolved_at"]]
        assert f["finding_id"] in [r["finding_id"] for r in resolved] and len(resolved) == 2
    # The same answers from the file once the collector is gone (`--db`): nothing open, both resolved.
    out = run_cli("netcensus", "findings", "--db", str(db), "--format", "json", "--kind", "vulnerable-software",
                  "--include-resolved")
    assert out.code == 0, out.err
    rows = json.loads(out.out)
    assert sorted(r["hostname"] for r in rows) == ["web-07", "web-08"] and all(r["resolved_at"] for r in rows)
    status = run_cli("netcensus", "vulns", "status", "--db", str(db))
    assert status.code == 0 and "osv" in status.out

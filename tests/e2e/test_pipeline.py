"""End to end over real components: agent encoder + gRPC client → collector (real gRPC server on
127.0.0.1:0, real DuckDB file) → register import → findings, asserted exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from tests.conftest import TEST_TOKEN, run_cli

REGISTER = """\
Asset Name,Asset Tag,Model,Manufacturer,Serial,Status,Checked Out,MAC Address,Hostname
fin-lt-014,NC-1,Latitude 5420,Dell,5CG1234ABC,Deployed,Maria Lopez,00:1b:21:0a:00:01,fin-lt-014
mkt-mb-007,NC-2,MacBook Pro,Apple,C02G7XYZMD6R,Lost/Stolen,,3c:22:fb:0a:00:02,mkt-mb-007
hr-lt-021,NC-3,Latitude 7430,Dell,5CG2345BCD,Deployed,Sam Okafor,a4:bb:6d:0a:00:05,hr-lt-021
ops-dt-003,NC-4,OptiPlex 7050,Dell,7XK2QH2,Archived,,00:1e:c9:0a:00:03,ops-dt-003
prn-2f-01,NC-5,HL-L8360CDW,Brother,E73512K9N412345,Ready to Deploy,,00:80:77:0a:00:04,prn-2f-01
"""


def host(name: str, mac: str, ip: str, serial: str = "", software: tuple[SoftwareItem, ...] = ()) -> Inventory:
    """A synthetic but complete agent inventory."""
    facts = HostFacts(
        hostname=name, os=OsInfo(family="linux", name="Debian GNU/Linux", version="12"),
        hardware=Hardware(vendor="Dell Inc.", model="Latitude 5420", serial=serial),
        interfaces=(NetworkInterface(name="eth0", mac=mac, addresses=(f"{ip}/24",), is_up=True),),
    )
    return Inventory(facts=facts, software=software,
                     collectors=(CollectorStatus("deb", CollectorState.OK, 5, len(software)),))


def send(target: str, state_dir: Path, inventory: Inventory) -> list[object]:
    state = NodeState.load(state_dir / "state.json")
    with IngestClient(target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        report = encode_snapshot(inventory, source_id=state.source_id, seq=state.take_seq(), now=datetime.now(UTC))
        return list(client.send([report]))


def test_agents_register_findings_exact(collector, tmp_path: Path) -> None:
    target = collector.target
    # NC-1 seen by its own agent (serial), the lost NC-2 seen by serial, a rogue machine nobody recorded,
    # and the spare printer NC-5 active under its host name.
    send(target, tmp_path / "a", host("fin-lt-014", "00:1b:21:0a:00:01", "192.0.2.11", "5CG1234ABC"))
    send(target, tmp_path / "b", host("mkt-mb-007", "3c:22:fb:99:00:02", "192.0.2.12", "C02G7XYZMD6R"))
    send(target, tmp_path / "c", host("rogue-01", "00:1b:21:99:99:99", "192.0.2.66"))
    send(target, tmp_path / "d", host("prn-2f-01", "00:80:77:0a:00:04", "192.0.2.14"))
    # NC-1's agent again, now with a swapped NIC and a new host name: still NC-1 (serial), and the
    # register's host name and MAC no longer agree with what is seen.
    send(target, tmp_path / "a", host("fin-lt-099", "00:1b:21:0a:00:99", "192.0.2.11", "5CG1234ABC"))
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    imported = run_cli("netcensus", "import", str(register), "--format", "snipeit", "--collector", target)
    assert imported.code == 0, imported.err
    assert "5 records" in imported.out

    result = run_cli("netcensus", "findings", "--collector", target, "--ghost-after", "0", "--format", "json",
                     "--kind", "ghost,zombie,mismatch,duplicate")
    assert result.code == 0, result.err
    findings = json.loads(result.out)
    got = sorted((f["kind"], f["severity"], f["asset_tag"], f["hostname"]) for f in findings)
    assert got == sorted([
        ("zombie", "critical", "NC-2", "mkt-mb-007"),   # lost/stolen, seen
        ("zombie", "medium", None, "rogue-01"),          # seen, not recorded
        ("mismatch", "medium", "NC-5", "prn-2f-01"),     # in stock, seen active
        ("ghost", "medium", "NC-3", "hr-lt-021"),        # deployed, never seen; agents ran
        ("mismatch", "low", "NC-1", "fin-lt-099"),       # matched by serial; host name differs
    ])
    contract = {"kind", "severity", "asset_id", "hostname", "ip", "mac", "serial", "asset_tag", "status", "rule_id",
                "software_name", "software_version", "first_seen", "last_seen", "evidence", "summary"}
    for f in findings:
        assert contract <= f.keys()
        assert f["summary"].endswith(".")
    lost = next(f for f in findings if f["severity"] == "critical")
    assert lost["status"] == "Lost/Stolen" and lost["serial"] == "C02G7XYZMD6R" and lost["ip"] == "192.0.2.12"
    assert {e["method"] for e in lost["evidence"]} == {"register", "agent"}
    assert all(e["seen_at"] for e in lost["evidence"])
    ghost = next(f for f in findings if f["kind"] == "ghost")
    assert ghost["asset_id"] is None and ghost["last_seen"] is None

    assets = json.loads(run_cli("netcensus", "assets", "--collector", target, "--format", "json").out)
    assert sorted(a["hostnames"][0] for a in assets) == ["fin-lt-099", "mkt-mb-007", "prn-2f-01", "rogue-01"]
    fin = next(a for a in assets if a["asset_tag"] == "NC-1")
    assert fin["hostnames"] == ["fin-lt-099", "fin-lt-014"] and fin["serial"] == "5CG1234ABC"
    assert fin["macs"] == ["00:1b:21:0a:00:99", "00:1b:21:0a:00:01"]
    assert fin["vendor"] == "Dell Inc." and fin["ips"] == ["192.0.2.11"] and fin["os"] == "Debian GNU/Linux 12"
    assert any(s.endswith(":agent") for s in fin["sources"])


def test_same_answers_from_db_after_shutdown(tmp_path: Path, empty_rules: Path) -> None:
    from datetime import timedelta

    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    db = tmp_path / "nc.duckdb"
    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(empty_rules,), refresh_interval=timedelta(0),
                         admin_token=TEST_TOKEN, open_enrolment=True)
    with BackgroundCollector(config) as running:
        send(running.target, tmp_path / "c", host("rogue-01", "00:1b:21:99:99:99", "192.0.2.66"))
        via_grpc = json.loads(run_cli("netcensus", "findings", "--collector", running.target, "--format", "json").out)
    via_db = json.loads(run_cli("netcensus", "findings", "--db", str(db), "--format", "json",
                                "--rules", str(empty_rules)).out)
    assert [(f["kind"], f["hostname"]) for f in via_db] == [(f["kind"], f["hostname"]) for f in via_grpc] \
        == [("zombie", "rogue-01")]
    assert via_db == via_grpc  # opened_at and evidence included


def test_resent_report_is_stored_once(collector, tmp_path: Path) -> None:
    state = NodeState.load(tmp_path / "state.json")
    inv = host("fin-lt-014", "00:1b:21:0a:00:01", "192.0.2.11", software=(
        SoftwareItem("bash", "5.2.15-2+b8", "deb", arch="amd64"),))
    with IngestClient(collector.target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        report = encode_snapshot(inv, source_id=state.source_id, seq=state.take_seq(), now=datetime.now(UTC))
        first = client.send([report])[0]
        again = client.send([report])[0]
    assert first.stored and not first.duplicate
    assert again.duplicate and not again.stored
    rows = collector.collector.store.query("SELECT count(*) AS n FROM reports")
    assert rows[0]["n"] == 1
    assert collector.collector.store.query("SELECT count(*) AS n FROM software_installs")[0]["n"] == 1


def test_live_agent_reports_this_machine(collector, tmp_path: Path) -> None:
    """The real agent process, on this machine, through the real collector."""
    result = run_cli("netcensus-agent", "report", "--collector", collector.target, "--once",
                     "--state-dir", str(tmp_path / "agent"))
    assert result.code == 0, result.err
    rows = collector.collector.store.query(
        "SELECT count(*) AS n FROM software_installs WHERE pkg_source = 'deb' AND removed_at IS NULL")
    assert rows[0]["n"] > 0
    assert collector.collector.store.query("SELECT count(*) AS n FROM sightings WHERE method = 'agent'")[0]["n"] == 1

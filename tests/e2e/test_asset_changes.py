"""`netcensus asset` and `netcensus changes` end to end: a real collector fed by the agent's transport,
asked over gRPC, then the same file asked with --db; hostile values escaped; `sql --help` from the schema."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from netcensus.v1 import report_pb2

from agent.facts.model import SoftwareItem
from agent.transport.client import IngestClient
from agent.transport.encode import encode_snapshot
from agent.transport.state import NodeState
from collector.client import CollectorClient
from collector.config import ServeConfig, default_rules_dir
from collector.errors import UsageError
from collector.serve.server import BackgroundCollector
from collector.store.duckdb import Store
from tests.collector.hostile import DANGEROUS_CHARS, hostile_store
from tests.conftest import TEST_TOKEN, run_cli
from tests.e2e.test_pipeline import host
from tests.e2e.test_software_findings import BASE, TEAMVIEWER


def report(target: str, state_dir: Path, software: tuple[SoftwareItem, ...], at: datetime) -> None:
    """One agent snapshot of fin-lt-014 as sent at `at` (an agent's clock; spooled reports arrive late)."""
    state = NodeState.load(state_dir / "state.json")
    with IngestClient(target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        inv = host("fin-lt-014", "00:1b:21:0a:00:01", "192.0.2.11", "5CG1234ABC", software)
        (ack,) = client.send([encode_snapshot(inv, source_id=state.source_id, seq=state.take_seq(), now=at)])
    assert ack.stored, ack.reason


def cli_json(*argv: str) -> dict[str, object]:
    out = run_cli("netcensus", *argv, "--format", "json")
    assert out.code == 0, out.err
    parsed: dict[str, object] = json.loads(out.out)
    return parsed


def test_asset_and_changes_answer_alike_from_the_collector_and_the_file(tmp_path: Path) -> None:
    db = tmp_path / "nc.duckdb"
    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(default_rules_dir(),),
                         ghost_after=timedelta(days=14), refresh_interval=timedelta(0), admin_token=TEST_TOKEN,
                         open_enrolment=True)
    now = datetime.now(UTC)
    with BackgroundCollector(config) as running:
        target = running.target
        report(target, tmp_path, (*BASE, TEAMVIEWER), now - timedelta(hours=3))
        first = cli_json("asset", "fin-lt-014", "--collector", target)
        (flagged,) = [f for f in first["findings"] if f["kind"] == "unauthorised-software"]  # type: ignore[union-attr]
        software = {s["name"]: s for s in first["software"]}  # type: ignore[union-attr]
        assert software["teamviewer"]["findings"] == [flagged["finding_id"]]
        assert software["bash"]["findings"] == []

        report(target, tmp_path, BASE, now - timedelta(hours=1))  # TeamViewer uninstalled
        remote = cli_json("asset", "5CG1234ABC", "--collector", target)
        assert "teamviewer" not in {s["name"] for s in remote["software"]}  # type: ignore[union-attr]
        events = [(e["event"], e["kind"]) for e in remote["timeline"]]  # type: ignore[union-attr]
        assert ("opened", "unauthorised-software") in events and ("resolved", "unauthorised-software") in events
        page = run_cli("netcensus", "asset", "fin-lt-014", "--collector", target)
        assert page.code == 0 and "FINDING TIMELINE" in page.out and "resolved" in page.out

        changed = cli_json("changes", "--since", "2h", "--collector", target)
        assert [(s["change"], s["name"]) for s in changed["software"]] == [("removed", "teamviewer")]  # type: ignore
        assert {(f["event"], f["kind"]) for f in changed["findings"]} >= {  # type: ignore[union-attr]
            ("resolved", "unauthorised-software")}

        no_token = {"NETCENSUS_TOKEN": "", "NETCENSUS_ADMIN_TOKEN": ""}
        refused = run_cli("netcensus", "asset", "fin-lt-014", "--collector", target, env=no_token)
        assert refused.code == 1 and len(refused.err.strip().splitlines()) == 1
        missing = run_cli("netcensus", "asset", "no-such-host", "--collector", target)
        assert missing.code == 1 and "no asset matches" in missing.err and "Traceback" not in missing.err
        since_now = run_cli("netcensus", "changes", "--since", "0", "--collector", target)
        assert since_now.code == 1 and "--since" in since_now.err
        too_far = run_cli("netcensus", "changes", "--since", "99999999d", "--collector", target)
        assert too_far.code == 1 and "shorter window" in too_far.err
        future = CollectorClient(target, token=TEST_TOKEN)
        try:
            with pytest.raises(UsageError, match="not in the future"):
                future.changes(datetime.now(UTC) + timedelta(hours=1))
        finally:
            future.close()

    local = cli_json("asset", "fin-lt-014", "--db", str(db))
    assert local == remote
    local_changes = cli_json("changes", "--since", "2h", "--db", str(db))
    for part in ("assets", "software", "software_per_asset", "software_totals"):
        assert local_changes[part] == changed[part], part
    audit = json.loads(run_cli("netcensus", "audit", "--db", str(db), "--format", "json").out)
    assert {(a["action"], a["outcome"].split(":")[0]) for a in audit} >= {
        ("AssetDetail", "ok"), ("ListChanges", "ok"), ("AssetDetail", "INVALID_ARGUMENT"),
        ("ListChanges", "INVALID_ARGUMENT")}
    table = run_cli("netcensus", "changes", "--since", "2h", "--db", str(db), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table.out)))
    assert {(r["section"], r["change"], r["name"]) for r in rows} >= {("software", "removed", "teamviewer"),
                                                                       ("finding", "resolved", "teamviewer")}


def test_values_from_the_network_are_escaped_on_the_page_and_in_changes(tmp_path: Path) -> None:
    db = hostile_store(tmp_path / "hostile.duckdb")
    for argv in (("asset", "192.0.2.1", "--all"), ("asset", "192.0.2.2", "--all"), ("changes", "--since", "1d"),
                 ("changes", "--since", "1d", "--format", "csv"), ("asset", "192.0.2.1", "--format", "json")):
        out = run_cli("netcensus", *argv, "--db", str(db))
        assert out.code == 0, out.err
        assert not set(DANGEROUS_CHARS) & set(out.out), argv
    text = run_cli("netcensus", "changes", "--since", "1d", "--db", str(db), "--format", "csv").out
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@")]


def test_sql_help_lists_every_documented_relation_with_the_columns_a_real_file_has(tmp_path: Path) -> None:
    out = run_cli("netcensus", "sql", "--help")
    assert out.code == 0
    store = Store.open(tmp_path / "nc.duckdb")
    try:
        for relation in ("assets", "identifiers", "sightings", "software", "software_history", "recorded_assets",
                         "findings", "finding_events", "register_imports", "scan_runs", "reports",
                         "manual_decisions"):
            assert f"  {relation} — " in out.out, relation
            for column in store.query(f"DESCRIBE {relation}"):
                assert f"{column['column_name']} " in out.out, (relation, column["column_name"])
    finally:
        store.close()

"""`netcensus assets --duplicates | explain | merge | split | decisions | undo` as real processes, on a
real DuckDB file (`--db`) and against a real collector on loopback with admin and reader tokens."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.store.duckdb import Store
from tests.collector.inventory.manual_estate import ARP_MAC, DOCK_MAC, IF_MAC, estate, register, sight
from tests.conftest import TEST_TOKEN, run_cli
from tests.e2e.test_cli_errors import one_line_error

HOSTILE = "web-01\x1b[2J\u202e"


def more(store: Store, at: datetime) -> None:
    """Two agents with one (hostile) host name in the same period: a possible duplicate."""
    sight(store, {"subject": "agent:w1", "source_id": "w1", "method": "agent", "seen_at": at, "hostname": HOSTILE,
                  "serial": "SN-W1"},
          {"subject": "agent:w2", "source_id": "w2", "method": "agent", "seen_at": at, "hostname": HOSTILE,
           "serial": "SN-W2"})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "nc.duckdb"
    store = Store.open(path)
    now = datetime.now(UTC)
    estate(store, now - timedelta(hours=1))
    more(store, now - timedelta(hours=1))
    register(store, now - timedelta(hours=2))
    store.close()
    return path


def cli(*argv: str, env: dict[str, str] | None = None) -> Any:
    result = run_cli("netcensus", *argv, env=env)
    assert result.code == 0, result.err
    return result


def as_json(*argv: str, env: dict[str, str] | None = None) -> Any:
    return json.loads(cli(*argv, "--format", "json", env=env).out)


def test_duplicates_explain_merge_split_undo_with_db(db: Path) -> None:
    target = ("--db", str(db))
    (dup,) = as_json("assets", "--duplicates", *target)
    assert dup["signals"] == ["hostname"] and dup["other_asset_id"]
    table = cli("assets", "--duplicates", *target).out
    assert "\x1b" not in table and "\\x1b" in table and "1 possible duplicates" in table
    assert [f["kind"] for f in as_json("findings", *target, "--kind", "possible-duplicate")] == ["possible-duplicate"]

    text = cli("assets", "explain", "isp-gw", *target).out
    assert cli("assets", *target, "explain", "isp-gw").out == text          # options before the subcommand too
    assert f"mac:{IF_MAC}" in text and "anchor" in text and "no register record" in text
    one_line_error(run_cli("netcensus", "assets", "explain", "192.0.2.1", *target), "matches 2 assets")
    one_line_error(run_cli("netcensus", "assets", "explain", "nope", *target), "no asset matches 'nope'")
    hostile = cli("assets", "explain", dup["asset_id"], *target).out
    assert "\x1b" not in hostile and "\u202e" not in hostile and "\\x1b[2J\\u202e" in hostile

    before = len(as_json("assets", *target))
    out = cli("assets", "merge", "isp-gw", ARP_MAC, "--reason", "one router: SNMP and ARP halves", *target).out
    assert "decision #1: merge" in out and "applied" in out
    assert len(as_json("assets", *target)) == before - 1
    explained = as_json("assets", "explain", ARP_MAC, *target)
    assert "manual" in {m["key"] for m in explained["members"]}
    assert explained["record"].startswith("NC-GW") and explained["record_key"] == "mac"
    assert explained["decisions"][0]["reason"] == "one router: SNMP and ARP halves"

    cli("assets", "split", "pc-1", "--subject", f"mac:{DOCK_MAC}", "--reason", "a dock", *target)
    decisions = as_json("assets", "decisions", *target)
    assert [(d["decision_id"], d["action"], d["state"]) for d in decisions] == [(2, "split", "applied"),
                                                                               (1, "merge", "applied")]
    assert decisions[0]["decided_by"].startswith("local:")
    one_line_error(run_cli("netcensus", "assets", "merge", "agent:pc1", "NC-PC1", "--reason", "x", *target),
                   "same asset")
    one_line_error(run_cli("netcensus", "assets", "split", "NC-PC1", "--subject", "mac:00:00:00:00:00:01",
                           "--reason", "x", *target), "is not a subject of")
    one_line_error(run_cli("netcensus", "assets", "undo", "99", *target), "no standing decision #99")

    cli("assets", "undo", "1", *target)
    assert len(as_json("assets", *target)) == before + 1       # the router halves apart, the dock split off
    assert as_json("assets", "decisions", *target)[1]["state"] == "undone"
    actions = [row["action"] for row in as_json("audit", *target)]
    assert actions[-3:] == ["assets merge", "assets split", "assets undo"]


def test_over_grpc_readers_read_and_only_admins_decide(collector: Any, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = collector.collector.store
    estate(store, now - timedelta(hours=1))
    more(store, now - timedelta(hours=1))
    collector.collector.reload()  # written behind the collector's back (not through ingest): start again
    target = ("--collector", collector.target)
    admin = {"NETCENSUS_TOKEN": TEST_TOKEN}
    reader_token = cli("tokens", "create", "auditor", "--role", "reader", *target, env=admin).out.strip()
    reader = {"NETCENSUS_TOKEN": reader_token}

    (dup,) = as_json("assets", "--duplicates", *target, env=reader)
    assert dup["signals"] == ["hostname"]
    explained = as_json("assets", "explain", "isp-gw", *target, env=reader)
    assert explained["asset"]["hostnames"] == ["isp-gw"]
    one_line_error(run_cli("netcensus", "assets", "explain", "192.0.2.1", *target, env=reader), "matches 2 assets")
    one_line_error(run_cli("netcensus", "assets", "merge", "isp-gw", ARP_MAC, "--reason", "x", *target, env=reader),
                   "has role reader")
    one_line_error(run_cli("netcensus", "assets", "decisions", *target, env=reader), "has role reader")

    out = cli("assets", "merge", "isp-gw", ARP_MAC, "--reason", "one router", *target, env=admin).out
    assert "decision #1: merge" in out and "applied" in out
    assert "manual" in {m["key"] for m in as_json("assets", "explain", ARP_MAC, *target, env=reader)["members"]}
    (d,) = as_json("assets", "decisions", *target, env=admin)
    assert (d["decided_by"], d["state"]) == ("bootstrap", "applied")
    one_line_error(run_cli("netcensus", "assets", "merge", "isp-gw", ARP_MAC, "--reason", "again", *target,
                           env=admin), "same asset")
    one_line_error(run_cli("netcensus", "assets", "undo", "7", *target, env=admin), "no standing decision #7")
    cli("assets", "undo", "1", *target, env=admin)
    assert as_json("assets", "decisions", *target, env=admin)[0]["state"] == "undone"
    audit = as_json("audit", *target, env=admin)
    seen = {(row["who"], row["action"], row["outcome"].split(":")[0]) for row in audit}
    assert {("auditor", "DecideAssets", "PERMISSION_DENIED"), ("bootstrap", "DecideAssets", "ok"),
            ("bootstrap", "UndoDecision", "ok"), ("auditor", "ExplainAsset", "ok"),
            ("auditor", "ListDuplicates", "ok")} <= seen

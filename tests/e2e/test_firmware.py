"""Firmware end to end: a recorded switch read as a sweep reads it, its observation sent to a real
collector, and the version shown by `netcensus assets` (json, csv, table) and `netcensus sql`."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from netcensus.v1 import report_pb2

from agent.scan.model import Method, Observation, ScanBatch
from agent.scan.options import SweepOptions
from agent.scan.snmp.credentials import Credential
from agent.scan.snmp.device import Device, read_device
from agent.scan.snmp.session import Session
from agent.transport.client import IngestClient
from agent.transport.encode import encode_scan
from agent.transport.state import NodeState
from tests.agent.scan.snmp.agents import TableAgent
from tests.agent.scan.snmp.test_device import _snmprec
from tests.conftest import TEST_TOKEN, run_cli


def _recorded_switch() -> list[Observation]:
    """snmpsim-data's Catalyst 3750 (BSD-2-Clause), read as `scan --methods snmp` reads it, no socket."""
    snmpsim_data = pytest.importorskip("snmpsim_data")
    mib = _snmprec(Path(snmpsim_data.__file__).parent / "data" / "network" / "switch" / "cisco-c3750.snmprec.bz2")

    async def recorded(cred: Credential, *, timeout: float, retries: int, max_rows: int) -> Session:
        return TableAgent(mib, max_rows=max_rows)

    return asyncio.run(read_device(Device("192.0.2.100", recorded), SweepOptions(snmp_depth="discovery"))).observations


def test_firmware_reaches_assets_and_sql(tmp_path: Path, empty_rules: Path) -> None:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    (switch,) = _recorded_switch()
    assert (switch.model, switch.serial, switch.firmware) == ("WS-C3750G-12S-S", "FDO1622Y10H", "12.2(50)SE5")
    now = datetime.now(UTC)
    # A second device from an agent that predates the field: no firmware, and nothing else changes.
    old = Observation(method=Method.SNMP, seen_at=now, ip="192.0.2.101", mac="00:1b:21:0a:00:fe", hostname="old-ap")
    batch = ScanBatch(scan_id="sweep-fw", targets=("192.0.2.0/24",), methods=(Method.SNMP,), started_at=now,
                      finished_at=now, observations=(switch, old), complete=True)
    db = tmp_path / "nc.duckdb"
    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(empty_rules,), ghost_after=timedelta(days=14),
                         refresh_interval=timedelta(0), admin_token=TEST_TOKEN, open_enrolment=True)
    with BackgroundCollector(config) as running:
        state = NodeState.load(tmp_path / "state.json")
        with IngestClient(running.target, state, kind=report_pb2.SOURCE_KIND_SCANNER) as client:
            client.ensure_enrolled()
            (ack,) = client.send([encode_scan(batch, source_id=state.source_id, seq=state.take_seq(), now=now)])
        assert ack.stored, ack.reason

        as_json = {a["ips"][0]: a for a in json.loads(
            run_cli("netcensus", "assets", "--collector", running.target, "--format", "json").out)}
        assert as_json["192.0.2.100"]["firmware"] == "12.2(50)SE5"
        assert as_json["192.0.2.100"]["model"] == "WS-C3750G-12S-S"
        assert as_json["192.0.2.101"]["firmware"] is None
        rows = list(csv.DictReader(io.StringIO(
            run_cli("netcensus", "assets", "--collector", running.target, "--format", "csv").out)))
        assert [r["firmware"] for r in rows if "192.0.2.100" in r["ips"]] == ["12.2(50)SE5"]
        # wide enough for every column: a narrower table leaves the rightmost ones out (README)
        table = run_cli("netcensus", "assets", "--collector", running.target, env={"COLUMNS": "250"}).out
        assert "FIRMWARE" in table.splitlines()[0] and "12.2(50)SE5" in table

    sql = run_cli("netcensus", "sql", "--db", str(db), "--format", "json",
                  "SELECT a.firmware AS asset_fw, s.firmware AS sighting_fw FROM assets a "
                  "JOIN asset_members m USING (asset_id) JOIN sightings s USING (subject) "
                  "WHERE list_contains(a.ips, '192.0.2.100')")
    assert sql.code == 0, sql.err
    assert json.loads(sql.out) == [{"asset_fw": "12.2(50)SE5", "sighting_fw": "12.2(50)SE5"}]

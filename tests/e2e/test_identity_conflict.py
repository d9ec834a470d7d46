"""Issue #14: an agent claiming another live machine's serial, UUID and MAC, end to end on loopback.

Two real enrolled agents (agent encoder + gRPC client) report to a real collector (gRPC on 127.0.0.1,
real DuckDB file): the impostor copies the victim's serial, MAC and host name and adds its own package.
`netcensus findings --kind identity-conflict` names both, and the victim's software is unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent.facts.model import SoftwareItem
from tests.conftest import run_cli
from tests.e2e.test_pipeline import host, send

SERIAL = "5CG1234ABC"
MAC = "00:1b:21:0a:00:01"


def _software(collector: object, asset_id: str) -> list[tuple[str, str]]:
    rows = collector.collector.store.query(  # type: ignore[attr-defined]
        f"SELECT name, version FROM software WHERE asset_id = '{asset_id}' ORDER BY name")
    return [(r["name"], r["version"]) for r in rows]


def test_second_agent_claiming_a_live_serial_is_a_finding_and_leaves_the_victim_alone(collector,
                                                                                    tmp_path: Path) -> None:
    target = collector.target
    mine = (SoftwareItem(name="openssh-server", version="1:9.2p1-2", source="deb"),
            SoftwareItem(name="firefox-esr", version="115.8.0esr-1", source="deb"))
    send(target, tmp_path / "victim", host("fin-lt-014", MAC, "192.0.2.11", SERIAL, software=mine))
    before = run_cli("netcensus", "assets", "--collector", target, "--format", "json")
    (victim,) = json.loads(before.out)
    assert _software(collector, victim["asset_id"]) == [("firefox-esr", "115.8.0esr-1"),
                                                        ("openssh-server", "1:9.2p1-2")]

    evil = (SoftwareItem(name="anydesk", version="7.1.0", source="deb"),)
    send(target, tmp_path / "impostor", host("fin-lt-014", MAC, "192.0.2.66", SERIAL, software=evil))
    send(target, tmp_path / "victim", host("fin-lt-014", MAC, "192.0.2.11", SERIAL, software=mine))  # still live

    result = run_cli("netcensus", "findings", "--collector", target, "--kind", "identity-conflict", "--format", "json")
    assert result.code == 0, result.err
    (finding,) = json.loads(result.out)
    victim_source = json.loads((tmp_path / "victim/state.json").read_text())["source_id"]
    impostor_source = json.loads((tmp_path / "impostor/state.json").read_text())["source_id"]
    assert finding["kind"] == "identity-conflict" and finding["severity"] == "high"
    assert finding["serial"] == SERIAL and finding["asset_id"] != victim["asset_id"]
    assert f"Agent source {impostor_source} has claimed serial number {SERIAL}" in finding["summary"]
    assert f"agent source {victim_source} (holding it since" in finding["summary"]
    assert {e["source"] for e in finding["evidence"]} == {victim_source, impostor_source}
    table = run_cli("netcensus", "findings", "--collector", target, "--kind", "identity-conflict")
    assert table.code == 0 and "identity-conflict" in table.out

    assets = json.loads(run_cli("netcensus", "assets", "--collector", target, "--format", "json").out)
    assert len(assets) == 2 and victim["asset_id"] in {a["asset_id"] for a in assets}
    assert _software(collector, victim["asset_id"]) == [("firefox-esr", "115.8.0esr-1"),
                                                        ("openssh-server", "1:9.2p1-2")]
    assert _software(collector, finding["asset_id"]) == [("anydesk", "7.1.0")]

"""Unauthorised software end to end: shipped rules, real collector, lifecycle and exceptions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from netcensus.v1 import report_pb2

from agent.facts.model import SoftwareItem
from agent.transport.client import IngestClient
from agent.transport.encode import encode_snapshot
from agent.transport.state import NodeState
from collector.config import ServeConfig, default_rules_dir
from collector.serve.server import BackgroundCollector
from tests.conftest import TEST_TOKEN, run_cli
from tests.e2e.test_pipeline import host

BASE = (SoftwareItem("bash", "5.2.15-2+b8", "deb", arch="amd64"),
        SoftwareItem("falcon-sensor", "7.10.0-16303", "deb", arch="amd64"))
TEAMVIEWER = SoftwareItem("teamviewer", "15.48.4", "deb", arch="amd64", vendor="TeamViewer GmbH")


def report(target: str, state_dir: Path, software: tuple[SoftwareItem, ...], name: str = "fin-lt-014",
           mac: str = "00:1b:21:0a:00:01", serial: str = "5CG1234ABC") -> None:
    state = NodeState.load(state_dir / "state.json")
    with IngestClient(target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
        client.ensure_enrolled()
        inv = host(name, mac, "192.0.2.11", serial, software)
        (ack,) = client.send([encode_snapshot(inv, source_id=state.source_id, seq=state.take_seq(),
                                              now=datetime.now(UTC))])
    assert ack.stored, ack.reason


def software_findings(target: str, *extra: str) -> list[dict[str, object]]:
    out = run_cli("netcensus", "findings", "--collector", target, "--format", "json", "--kind",
                  "unauthorised-software", *extra)
    assert out.code == 0, out.err
    return json.loads(out.out)


def test_shipped_rules_flag_resolve_and_reflag(tmp_path: Path) -> None:
    config = ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(default_rules_dir(),),
                         ghost_after=timedelta(days=14), refresh_interval=timedelta(0), admin_token=TEST_TOKEN,
                         open_enrolment=True)
    with BackgroundCollector(config) as running:
        report(running.target, tmp_path, (*BASE, TEAMVIEWER))
        (f,) = software_findings(running.target)
        assert (f["rule_id"], f["software_name"].lower(), f["software_version"]) == \
            ("remote-access-tool", "teamviewer", "15.48.4")
        assert f["hostname"] == "fin-lt-014" and f["ip"] == "192.0.2.11" and f["severity"] in ("high", "critical")
        assert any(e["method"] == "agent" for e in f["evidence"])
        assert software_findings(running.target, "--rule", "no-such-rule") == []
        assert software_findings(running.target, "--host", "fin-*") != []

        report(running.target, tmp_path, BASE)  # TeamViewer uninstalled
        assert software_findings(running.target) == []
        resolved = [r for r in software_findings(running.target, "--include-resolved") if r["resolved_at"]]
        assert [r["finding_id"] for r in resolved] == [f["finding_id"]]

        report(running.target, tmp_path, (*BASE, TEAMVIEWER))
        (again,) = software_findings(running.target)
        assert again["finding_id"] == f["finding_id"] and again["resolved_at"] is None


def test_exception_suppresses_until_it_expires(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ra.yaml").write_text(f"""\
rules:
  - id: ra
    title: Remote access tool not approved
    severity: high
    type: deny
    match:
      name: ["teamviewer*"]
    exceptions:
      - hostname: "fin-lt-014"
        reason: "approved for remote support"
        until: {(datetime.now(UTC) + timedelta(days=30)).date().isoformat()}
      - hostname: "hr-*"
        reason: "trial ended"
        until: 2020-01-01
""", encoding="utf-8")
    assert run_cli("netcensus", "rules", "check", str(rules)).code == 0
    config = ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(rules,),
                         refresh_interval=timedelta(0), admin_token=TEST_TOKEN, open_enrolment=True)
    with BackgroundCollector(config) as running:
        report(running.target, tmp_path / "a", (*BASE, TEAMVIEWER))
        report(running.target, tmp_path / "b", (*BASE, TEAMVIEWER), name="hr-lt-021", mac="a4:bb:6d:0a:00:05",
               serial="5CG2345BCD")
        found = {f["hostname"]: f for f in software_findings(running.target)}
        assert found["fin-lt-014"]["suppressed"] is True
        assert "approved for remote support" in found["fin-lt-014"]["suppression"]
        assert found["hr-lt-021"]["suppressed"] is False
        assert [f["hostname"] for f in software_findings(running.target, "--hide-suppressed")] == ["hr-lt-021"]


def test_broken_rule_file_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("rules:\n  - id: x\n    title: t\n    severity: loud\n    type: deny\n"
                                    "    match: {name: ['a']}\n    colour: red\n", encoding="utf-8")
    check = run_cli("netcensus", "rules", "check", str(rules))
    assert check.code == 1
    assert "bad.yaml:4" in check.err and "bad.yaml:7" in check.err and "Traceback" not in check.err
    serve = run_cli("netcensus", "serve", "--db", str(tmp_path / "x.duckdb"), "--listen", "127.0.0.1:0",
                    "--rules", str(rules))
    assert serve.code == 1 and len(serve.err.strip().splitlines()) == 1 and "bad.yaml:" in serve.err

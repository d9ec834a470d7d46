"""`netcensus-agent scan` as users run it, inside the scanner namespace of a lab."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agent.lab.namespaces import Lab

pytestmark = pytest.mark.root

AGENT = str(Path(sys.executable).with_name("netcensus-agent"))


def test_scan_format_json_prints_one_array_of_observations(demo_lab: Lab) -> None:
    proc = demo_lab.scanner_run([AGENT, "scan", "192.0.2.0/24", "--methods", "arp", "--format", "json"],
                                timeout=120)
    assert proc.returncode == 0, proc.stderr
    observations = json.loads(proc.stdout)
    assert isinstance(observations, list)
    seen = {o["ip"]: o for o in observations if o["method"] == "arp"}
    assert {"192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"} <= set(seen)
    assert seen["192.0.2.11"]["mac"] == "00:1b:21:0a:00:01"
    assert seen["192.0.2.12"]["vendor"].startswith("Apple")


def test_scan_usage_errors_are_one_line(demo_lab: Lab) -> None:
    proc = demo_lab.scanner_run([AGENT, "scan", "192.0.2.0/24"], timeout=60)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "--collector" in proc.stderr
    proc = demo_lab.scanner_run([AGENT, "scan", "not-a-network/99", "--format", "json"], timeout=60)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_snmp_communities_come_from_a_private_file_and_never_reach_the_logs(demo_lab: Lab, tmp_path: Path) -> None:
    """Issue #14c against real snmpd: a wrong community first, then the lab's; debug logging on."""
    creds = tmp_path / "snmp.toml"
    creds.write_text('communities = ["zq-wrong-4b1e", "public"]\n')
    creds.chmod(0o600)
    argv = [AGENT, "--log-level", "debug", "scan", "192.0.2.11", "--methods", "snmp", "--format", "json"]
    proc = demo_lab.scanner_run([*argv, "--snmp-credentials", str(creds)], timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert any(o["method"] == "snmp" and o["ip"] == "192.0.2.11" for o in json.loads(proc.stdout))
    assert "DEBUG" in proc.stderr  # the sweep did log, at the most talkative level
    assert "zq-wrong-4b1e" not in proc.stderr and "zq-wrong-4b1e" not in proc.stdout
    assert "public" not in proc.stderr  # (stdout may: the host runs a package named publicsuffix)
    # The file replaces the default community: with only the wrong one, snmpd answers nothing.
    creds.write_text('communities = ["zq-wrong-4b1e"]\n')
    proc = demo_lab.scanner_run([*argv, "--snmp-credentials", str(creds)], timeout=120)
    assert not [o for o in json.loads(proc.stdout or "[]") if o["method"] == "snmp"]
    assert "zq-wrong-4b1e" not in proc.stderr
    # On the command line, the same community is refused before anything is sent.
    proc = demo_lab.scanner_run([*argv, "--community", "zq-wrong-4b1e"], timeout=60)
    assert proc.returncode == 1 and "--snmp-credentials" in proc.stderr and "zq-wrong-4b1e" not in proc.stderr

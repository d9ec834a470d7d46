"""`findings --collector` against a collector started by make_collector (gRPC on loopback, real DuckDB):
posture findings come over the wire, `--rules` is refused rather than ignored, and opened_at holds
still between runs of one query, at the collector's window and at others."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.facts.model import DiskEncryption, Firewall, PendingUpdate, SecurityFacts
from collector.config import default_rules_dir
from tests.conftest import run_cli
from tests.e2e.test_posture_findings import machine, send


def _findings(target: str, *args: str) -> list[dict[str, Any]]:
    result = run_cli("netcensus", "findings", "--collector", target, "--format", "json", *args)
    assert result.code == 0, result.err
    rows: list[dict[str, Any]] = json.loads(result.out)
    return rows


def test_posture_over_grpc_rules_refused_opened_at_still(make_collector: Callable[..., Any], tmp_path: Path) -> None:
    running = make_collector(rules_dirs=(default_rules_dir(),), ghost_after=timedelta(days=7))
    sudo = PendingUpdate("sudo", "amd64", "1.9.13p3-1", "1.9.13p3-1+deb12u1", "bookworm-security")
    facts = SecurityFacts(pending_security_updates=(sudo,), firewalls=(Firewall("ufw", enabled=False, active=False),),
                          disk_encryption=DiskEncryption(root_encrypted=True))
    send(running.target, tmp_path / "a", machine("ws-7", "00:1b:21:0a:07:01", "192.0.2.70", "Desktop", facts),
         datetime.now(UTC))
    rows = _findings(running.target, "--kind", "unpatched,firewall-off")
    assert sorted((r["kind"], r["hostname"], r["severity"]) for r in rows) == [
        ("firewall-off", "ws-7", "medium"), ("unpatched", "ws-7", "high")]

    refused = run_cli("netcensus", "findings", "--collector", running.target, "--rules", str(default_rules_dir()))
    assert refused.code == 1 and refused.out == ""
    assert refused.err.strip().splitlines() == [
        "netcensus: --rules applies to --db only: a collector applies the rules it was started with "
        "(netcensus serve --rules DIR); drop --rules, or stop the collector and use --db FILE"]

    for window in ((), ("--ghost-after", "0"), ("--ghost-after", "30d")):
        first, again = _findings(running.target, *window), _findings(running.target, *window)
        assert first == again  # opened_at included

"""Issue #17 point 6, operator messages: the real `netcensus-agent` against real collectors on loopback.

Found: without a secret the agent was told "enrolment secret is wrong"; every TLS mismatch read
"unreachable (Socket closed)"; `status` had no last success or last error; `scan --config --once`
printed nothing. Each case below is a real process against a real gRPC server with real certificates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.collector.serve.helpers import free_port
from tests.conftest import TEST_TOKEN, CliResult, run_cli


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    other = d / "other"
    for argv in (("ca", "--dir", str(d)), ("server", "--dir", str(d)), ("client", "--dir", str(d), "--name", "host-a"),
                 ("ca", "--dir", str(other)), ("client", "--dir", str(other), "--name", "host-a")):
        r = run_cli("netcensus", "certs", *argv)
        assert r.code == 0, r.err
    return d


@contextmanager
def serving(tmp_path: Path, rules: Path, **overrides: Any) -> Iterator[str]:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    tmp_path.mkdir(exist_ok=True)
    fields: dict[str, Any] = {"db": tmp_path / "nc.duckdb", "listen": "127.0.0.1:0", "rules_dirs": (rules,),
                              "ghost_after": timedelta(days=14), "refresh_interval": timedelta(0),
                              "admin_token": TEST_TOKEN, "open_enrolment": True, **overrides}
    with BackgroundCollector(ServeConfig(**fields)) as c:
        yield str(c.target)


def report(target: str, state: Path, *flags: str, secret: str = "") -> CliResult:
    return run_cli("netcensus-agent", "report", "--collector", target, "--once", "--state-dir", str(state), *flags,
                   env={"NETCENSUS_ENROL_SECRET": secret}, timeout=60)


def refused(result: CliResult, *fragments: str) -> str:
    """One line on stderr, exit 1, no traceback, naming what is wrong (and not the old vague words)."""
    assert result.code == 1, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Socket closed" not in lines[0]
    return lines[0]


def test_no_secret_and_a_wrong_secret_are_told_apart(tmp_path: Path, empty_rules: Path) -> None:
    with serving(tmp_path, empty_rules, enrol_secret="fleet-secret", open_enrolment=False) as target:
        refused(report(target, tmp_path / "a"), "no enrolment secret was given", "NETCENSUS_ENROL_SECRET")
        line = refused(report(target, tmp_path / "b", secret="guess"), "enrolment secret is wrong")
        assert "no enrolment secret" not in line
        ok = report(target, tmp_path / "c", secret="fleet-secret")
        assert ok.code == 0, ok.err


def test_tls_mismatches_are_named(tmp_path: Path, empty_rules: Path, pki: Path) -> None:
    ca, other = pki / "ca.pem", pki / "other" / "ca.pem"
    client = ("--cert", str(pki / "host-a.pem"), "--key", str(pki / "host-a-key.pem"))
    tls = {"tls_cert": pki / "server.pem", "tls_key": pki / "server-key.pem"}
    with serving(tmp_path / "tls", empty_rules, **tls) as target:
        refused(report(target, tmp_path / "1"), "this collector requires TLS", "--ca")
        refused(report(target, tmp_path / "2", "--ca", str(other)), "certificate is not trusted", str(other))
        refused(report(target, tmp_path / "3", "--ca", str(ca), "--server-name", "collector.example"),
                "not valid for 'collector.example'", "--server-name")
        assert report(target, tmp_path / "4", "--ca", str(ca)).code == 0
    with serving(tmp_path / "mtls", empty_rules, **tls, tls_client_ca=ca) as target:
        refused(report(target, tmp_path / "5"), "requires TLS and a client certificate", "--cert")
        refused(report(target, tmp_path / "6", "--ca", str(ca)), "requires a client certificate", "--cert FILE")
        refused(report(target, tmp_path / "7", "--ca", str(ca), "--cert", str(pki / "other" / "host-a.pem"),
                       "--key", str(pki / "other" / "host-a-key.pem")), "does not accept our client certificate")
        assert report(target, tmp_path / "8", "--ca", str(ca), *client).code == 0
    with serving(tmp_path / "plain", empty_rules) as target:
        refused(report(target, tmp_path / "9", "--ca", str(ca)), "does not speak TLS", "drop --ca")
    # Nothing listening is still "unreachable", not a TLS story.
    refused(report(f"127.0.0.1:{free_port()}", tmp_path / "10"), "unreachable")


def status(state: Path) -> dict[str, Any]:
    r = run_cli("netcensus-agent", "status", "--state-dir", str(state), "--format", "json")
    assert r.code == 0, r.err
    value: dict[str, Any] = json.loads(r.out)
    return value


def test_report_once_says_what_it_did_and_status_shows_last_success_and_last_error(tmp_path: Path,
                                                                                  empty_rules: Path) -> None:
    state = tmp_path / "agent"
    down = f"127.0.0.1:{free_port()}"
    refused(report(down, state), "unreachable")
    first = status(state)
    assert first["last_success"] is None and "unreachable" in first["last_error"]
    assert first["last_error_at"].endswith("Z") and first["spool_depth"] == 1
    with serving(tmp_path, empty_rules) as target:
        ok = report(target, state)
    assert ok.code == 0, ok.err
    (line,) = ok.out.strip().splitlines()  # one line: what went where
    assert line.startswith("reported ") and target in line and "full snapshot of" in line
    assert "1 earlier spooled report(s) delivered" in line
    after = status(state)
    assert after["last_success"] is not None and after["last_success"] >= after["last_error_at"]
    assert after["last_success_detail"].startswith("2 report(s) acked") and after["spool_depth"] == 0
    assert "unreachable" in after["last_error"]  # the last error stays listed, with its time
    table = run_cli("netcensus-agent", "status", "--state-dir", str(state)).out
    assert "last_success" in table and "last_error" in table


def test_scan_config_once_prints_a_summary(tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text('[[job]]\nname = "loop"\ntargets = ["127.0.0.1"]\nmethods = ["nmap"]\n', encoding="utf-8")
    r = run_cli("netcensus-agent", "scan", "--config", str(config), "--once", "--format", "json", timeout=120)
    assert r.code == 0, r.err
    summary = [line for line in r.err.splitlines() if line.startswith("scan --once:")]
    assert summary == ["scan --once: 1 job(s) (loop): 0 observations from 0 target(s)"], r.err


def test_the_daemon_logs_a_successful_report_at_info_not_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import threading

    from agent import report as report_module
    from agent.config import AgentConfig

    stop = threading.Event()

    class Done:
        def summary(self) -> str:
            stop.set()  # one cycle is enough
            return "reported pc-1 to 127.0.0.1:1: full snapshot of 3 packages"

    monkeypatch.setattr(report_module, "report_once", lambda *_a, **_k: Done())
    with caplog.at_level(logging.DEBUG, logger="netcensus.agent"):
        report_module.run_reports(AgentConfig(collector="127.0.0.1:1", state_dir=tmp_path, memory_ceiling_mb=0), stop)
    (record,) = [r for r in caplog.records if "reported pc-1" in r.getMessage()]
    assert record.levelno == logging.INFO

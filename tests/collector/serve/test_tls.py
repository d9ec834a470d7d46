"""TLS, mutual TLS, the certs helper and the plaintext policy (issue 5, item 2)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.collector.serve.helpers import CollectorProcess, free_port
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    for argv in (("ca",), ("server", "--host", "collector.example"), ("client", "--name", "agent1")):
        r = run_cli("netcensus", "certs", argv[0], "--dir", str(d), *argv[1:])
        assert r.code == 0, r.err
    return d


def test_certs_helper_writes_private_keys_0600(pki: Path) -> None:
    for name in ("ca-key.pem", "server-key.pem", "agent1-key.pem"):
        assert stat.S_IMODE((pki / name).stat().st_mode) == 0o600
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((pki / "server.pem").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "collector.example" in san.get_values_for_type(x509.DNSName)


@pytest.mark.parametrize("per_peer", [0, 100], ids=["direct", "behind-the-per-peer-guard"])
def test_tls_report(make_collector, pki: Path, tmp_path: Path, per_peer: int) -> None:
    c = make_collector(tls_cert=pki / "server.pem", tls_key=pki / "server-key.pem", max_connections_per_peer=per_peer)
    ok = run_cli("netcensus-agent", "report", "--collector", c.target, "--once", "--state-dir", str(tmp_path / "a"),
                 "--ca", str(pki / "ca.pem"))
    assert ok.code == 0, ok.err
    plain = run_cli("netcensus-agent", "report", "--collector", c.target, "--once", "--state-dir",
                    str(tmp_path / "b"))
    assert plain.code == 1 and len(plain.err.strip().splitlines()) == 1
    findings = run_cli("netcensus", "assets", "--collector", c.target, "--ca", str(pki / "ca.pem"), "--format", "json")
    assert findings.code == 0, findings.err


def test_mutual_tls_requires_a_client_certificate(make_collector, pki: Path, tmp_path: Path) -> None:
    c = make_collector(tls_cert=pki / "server.pem", tls_key=pki / "server-key.pem", tls_client_ca=pki / "ca.pem")
    without = run_cli("netcensus-agent", "report", "--collector", c.target, "--once", "--state-dir",
                      str(tmp_path / "a"), "--ca", str(pki / "ca.pem"))
    assert without.code == 1 and len(without.err.strip().splitlines()) == 1
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f'[agent]\nca = "{pki / "ca.pem"}"\ncert = "{pki / "agent1.pem"}"\n'
                   f'key = "{pki / "agent1-key.pem"}"\n')
    with_cert = run_cli("netcensus-agent", "report", "--collector", c.target, "--once", "--state-dir",
                        str(tmp_path / "b"), "--config", str(cfg))
    assert with_cert.code == 0, with_cert.err


def test_plaintext_off_loopback_needs_consent_and_warns(tmp_path: Path, empty_rules: Path) -> None:
    port = free_port()
    refused = run_cli("netcensus", "serve", "--db", str(tmp_path / "x.duckdb"), "--listen", f"0.0.0.0:{port}",
                      "--rules", str(empty_rules), "--open-enrolment", timeout=60)
    assert refused.code == 1 and "--plaintext" in refused.err and len(refused.err.strip().splitlines()) == 1
    proc = CollectorProcess(tmp_path / "y.duckdb", port, empty_rules, "--plaintext", host="0.0.0.0")
    proc.start()
    assert proc.stop() == 0
    proc_log = proc.log.read_text()
    assert "PLAINTEXT" in proc_log
    # ... and the same collector on loopback says nothing about plaintext.
    quiet = CollectorProcess(tmp_path / "z.duckdb", free_port(), empty_rules).start()
    quiet.stop()
    assert "PLAINTEXT" not in quiet.log.read_text()


def test_agent_refuses_plaintext_to_a_remote_collector(tmp_path: Path) -> None:
    r = run_cli("netcensus-agent", "report", "--collector", "192.0.2.1:50051", "--once", "--state-dir",
                str(tmp_path))
    assert r.code == 1 and "--plaintext" in r.err and len(r.err.strip().splitlines()) == 1

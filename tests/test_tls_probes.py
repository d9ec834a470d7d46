"""The agent's and the `--collector` client's TLS probes (issue #17 point 6) give the same verdict on the
same real servers, and say what is wrong instead of "unreachable (Socket closed)"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from netcensus import tls_probe as shared

from agent.transport import diagnose
from collector import tls_probe
from tests.collector.serve.helpers import free_port
from tests.conftest import TEST_TOKEN, run_cli

PROBES = (diagnose.probe, tls_probe.probe)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    for argv in (("ca", "--dir", str(d)), ("server", "--dir", str(d)),
                 ("client", "--dir", str(d), "--name", "alice", "--kind", "user"),
                 ("ca", "--dir", str(d / "other")), ("client", "--dir", str(d / "other"), "--name", "alice")):
        assert run_cli("netcensus", "certs", *argv).code == 0
    return d


@contextmanager
def serving(tmp_path: Path, rules: Path, **tls: Any) -> Iterator[str]:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    tmp_path.mkdir(exist_ok=True)
    config = ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(rules,),
                         ghost_after=timedelta(days=14), refresh_interval=timedelta(0), admin_token=TEST_TOKEN,
                         open_enrolment=True, **tls)
    with BackgroundCollector(config) as c:
        yield str(c.target)


def verdicts(target: str, **settings: Any) -> set[object]:
    return {p(target, **{"cert": None, "key": None, "ca": None, "tls": False, **settings}) for p in PROBES}


def test_both_probes_are_one_text() -> None:
    # One probe (netcensus/tls_probe.py, where the agent and the collector meet), not two copies held equal.
    assert diagnose.probe is tls_probe.probe is shared.probe


def test_the_same_verdicts_on_the_same_servers(tmp_path: Path, empty_rules: Path, pki: Path) -> None:
    ca, other = pki / "ca.pem", pki / "other" / "ca.pem"
    mine = {"cert": pki / "alice.pem", "key": pki / "alice-key.pem"}
    foreign = {"cert": pki / "other" / "alice.pem", "key": pki / "other" / "alice-key.pem"}
    server = {"tls_cert": pki / "server.pem", "tls_key": pki / "server-key.pem"}
    with serving(tmp_path / "plain", empty_rules) as target:
        assert verdicts(target) == {None}
        assert verdicts(target, ca=ca, tls=True) == {("plaintext-server", "")}
    with serving(tmp_path / "tls", empty_rules, **server) as target:
        assert verdicts(target) == {("requires-tls", "")}
        assert verdicts(target, ca=ca, tls=True) == {None}
        (untrusted,) = verdicts(target, ca=other, tls=True)
        assert isinstance(untrusted, tuple) and untrusted[0] == "untrusted"
        assert verdicts(target, ca=ca, tls=True, server_name="elsewhere.example") == {
            ("name-mismatch", "elsewhere.example")}
    with serving(tmp_path / "mtls", empty_rules, **server, tls_client_ca=ca) as target:
        assert verdicts(target) == {("requires-tls-and-client-cert", "")}
        assert verdicts(target, ca=ca, tls=True) == {("requires-client-cert", "")}
        assert verdicts(target, ca=ca, tls=True, **foreign) == {("client-cert-refused", "")}
        assert verdicts(target, ca=ca, tls=True, **mine) == {None}
    assert verdicts(f"127.0.0.1:{free_port()}") == {None}  # nothing listens: not a TLS story


def test_the_collector_client_names_the_mismatch(tmp_path: Path, empty_rules: Path, pki: Path) -> None:
    server = {"tls_cert": pki / "server.pem", "tls_key": pki / "server-key.pem"}
    env = {"NETCENSUS_TOKEN": TEST_TOKEN}
    with serving(tmp_path / "tls", empty_rules, **server) as target:
        r = run_cli("netcensus", "findings", "--collector", target, env=env)
        assert r.code == 1 and r.err.strip().splitlines() == [
            f"netcensus: collector {target}: this collector requires TLS: give --ca FILE (the CA that signed its "
            "certificate)"]
    with serving(tmp_path / "plain", empty_rules) as target:
        r = run_cli("netcensus", "assets", "--collector", target, "--ca", str(pki / "ca.pem"), env=env)
        assert r.code == 1 and "does not speak TLS" in r.err and len(r.err.strip().splitlines()) == 1

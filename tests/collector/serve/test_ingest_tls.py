"""Issue 14, Ingest half of the mutual-TLS binding, and Enroll on a failing disk.

Found: under mutual TLS any certificate the CA signed could enrol as any kind and report as any
source whose node key it held (a user's certificate too), so a stolen node key plus one's own
certificate was enough to report as the victim. Now Enroll takes only an agent or scanner
certificate of the requested kind, a source is bound to the certificate name of its first mTLS
enrolment, and every later enrolment and Report stream of it must present that certificate.
Found too: Enroll on a full disk ended as UNKNOWN; now UNAVAILABLE with a retry-after, nothing half-done.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from netcensus.v1 import report_pb2

from agent.transport.client import IngestClient, Pushback
from agent.transport.state import NodeState
from tests.collector.serve.enrolment_helpers import SCANNER, STORED, enrol, refused
from tests.collector.serve.helpers import report_stream, snapshot
from tests.conftest import TEST_TOKEN, run_cli
from tests.tmpfs import fill, small_tmpfs

RETRY_AFTER = "retry-after-ms"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    for argv in (("ca",), ("server",), ("client", "--name", "host-a"), ("client", "--name", "host-b"),
                 ("client", "--name", "scan1", "--kind", "scanner"), ("client", "--name", "carol", "--kind", "user")):
        r = run_cli("netcensus", "certs", argv[0], "--dir", str(d), *argv[1:])
        assert r.code == 0, r.err
    return d


def tls(pki: Path, target: str, name: str) -> grpc.Channel:
    creds = grpc.ssl_channel_credentials((pki / "ca.pem").read_bytes(), (pki / f"{name}-key.pem").read_bytes(),
                                         (pki / f"{name}.pem").read_bytes())
    return grpc.secure_channel(target, creds, options=[("grpc.use_local_subchannel_pool", 1)])


def mtls(pki: Path) -> dict[str, object]:
    return {"tls_cert": pki / "server.pem", "tls_key": pki / "server-key.pem", "tls_client_ca": pki / "ca.pem"}


def reports_of(c: object, source_id: str) -> int:
    rows = c.collector.store.query("SELECT count(*) AS n FROM reports WHERE source_id = ?", [source_id])  # type: ignore[attr-defined]
    return int(rows[0]["n"])


def send(ch: grpc.Channel, source_id: str, seq: int, key: str) -> tuple[list[object], grpc.RpcError | None]:
    return report_stream(ch, [snapshot(source_id, seq, items=3).SerializeToString()], key)


def test_enroll_takes_only_an_agent_or_scanner_certificate_of_the_requested_kind(make_collector, pki: Path) -> None:
    c = make_collector(**mtls(pki))
    with tls(pki, c.target, "host-a") as ch:
        err = refused(ch, "a-as-scanner", secret="", kind=SCANNER)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "issued to a agent" not in err.details() and "issued to an agent" in err.details()
    assert "netcensus certs client --kind scanner" in err.details() and len(err.details().splitlines()) == 1
    with tls(pki, c.target, "carol") as ch:
        err = refused(ch, "carol-as-agent", secret="")
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "user" in err.details()
    assert "netcensus certs client --kind agent" in err.details()
    assert c.collector.store.query("SELECT count(*) AS n FROM sources") == [{"n": 0}], "nothing half-enrolled"
    with tls(pki, c.target, "scan1") as ch:
        assert enrol(ch, "scanner-1", secret="", kind=SCANNER)[0] == "scanner-1"
    with tls(pki, c.target, "host-a") as ch:
        source, key = enrol(ch, "a", secret="")
        acks, error = send(ch, source, 1, key)
    assert error is None and [a.status for a in acks] == [STORED]  # type: ignore[attr-defined]
    assert {r["source_id"]: r["cert_name"] for r in c.collector.store.query(
        "SELECT source_id, cert_name FROM sources")} == {"scanner-1": "scan1", "a": "host-a"}
    # A user certificate may not report either, even with a valid node key.
    with tls(pki, c.target, "carol") as ch:
        acks, error = send(ch, source, 2, key)
    assert error is not None and error.code() == grpc.StatusCode.PERMISSION_DENIED and not acks
    assert reports_of(c, "a") == 1


def test_a_stolen_node_key_with_ones_own_certificate_cannot_report_or_re_enrol(
        make_collector, pki: Path, caplog: pytest.LogCaptureFixture) -> None:
    c = make_collector(**mtls(pki))
    with tls(pki, c.target, "host-a") as ch:
        victim, key_a = enrol(ch, "victim", secret="")
        assert send(ch, victim, 1, key_a)[1] is None
    with tls(pki, c.target, "host-b") as ch:
        enrol(ch, "thief", secret="")
    caplog.set_level(logging.WARNING, "netcensus")
    with tls(pki, c.target, "host-b") as ch:  # B's own valid certificate, A's stolen key
        acks, error = send(ch, victim, 2, key_a)
        assert error is not None and error.code() == grpc.StatusCode.PERMISSION_DENIED and not acks
        assert "not the one this source enrolled with" in error.details()
        assert "host-a" not in error.details(), "the answer does not say whose certificate to steal"
        hijack = refused(ch, victim, secret="", key=key_a)  # re-enrol with A's key but B's certificate
        assert hijack.code() == grpc.StatusCode.PERMISSION_DENIED
        c.collector.approve(victim, "test admin")  # an approval does not move the binding either
        assert refused(ch, victim, secret="").code() == grpc.StatusCode.PERMISSION_DENIED
    assert reports_of(c, victim) == 1, "nothing stored for the thief"
    lines = [r.getMessage() for r in caplog.records if "host-b" in r.getMessage()]
    assert any("host-a" in line and "stream of source victim" in line for line in lines), lines
    assert c.collector.metrics.rejects.labels("certificate_mismatch")._value.get() >= 3
    # A's key still belongs to A: the refused attempts changed nothing, and A renews with its own certificate.
    with tls(pki, c.target, "host-a") as ch:
        assert send(ch, victim, 3, key_a)[1] is None
        _, renewed = enrol(ch, victim, secret="", key=key_a)
        assert send(ch, victim, 4, renewed)[1] is None
    assert reports_of(c, victim) == 3


def test_the_real_agent_flow_and_sources_enrolled_without_mtls(tmp_path: Path, empty_rules: Path, pki: Path) -> None:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    base = {"db": tmp_path / "nc.duckdb", "listen": "127.0.0.1:0", "rules_dirs": (empty_rules,),
            "ghost_after": timedelta(days=14), "refresh_interval": timedelta(0), "admin_token": TEST_TOKEN,
            "open_enrolment": True}
    with BackgroundCollector(ServeConfig(**base)) as c, grpc.insecure_channel(c.target) as ch:  # type: ignore[arg-type]
        old, old_key = enrol(ch, "old", secret="")
        assert send(ch, old, 1, old_key)[1] is None
    with BackgroundCollector(ServeConfig(**base, **mtls(pki))) as c:  # type: ignore[arg-type]
        cfg = tmp_path / "agent.toml"
        cfg.write_text(f'[agent]\nca = "{pki / "ca.pem"}"\ncert = "{pki / "host-a.pem"}"\n'
                       f'key = "{pki / "host-a-key.pem"}"\n')
        for _run in range(2):  # enrol and report, then report again with the key it kept
            r = run_cli("netcensus-agent", "report", "--collector", c.target, "--once", "--state-dir",
                        str(tmp_path / "agent"), "--config", str(cfg))
            assert r.code == 0, r.err
        rows = c.collector.store.query("SELECT source_id, cert_name FROM sources WHERE source_id <> 'old'")
        assert [r["cert_name"] for r in rows] == ["host-a"]
        assert reports_of(c, str(rows[0]["source_id"])) >= 2
        # Enrolled before mutual TLS: not bound, keeps reporting; its first mTLS enrolment binds it.
        with tls(pki, c.target, "host-b") as ch:
            assert send(ch, old, 2, old_key)[1] is None
            _, old_key = enrol(ch, old, secret="", key=old_key)
            assert send(ch, old, 3, old_key)[1] is None
        with tls(pki, c.target, "host-a") as ch:
            _, error = send(ch, old, 4, old_key)
        assert error is not None and error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert reports_of(c, old) == 3


def test_enroll_on_a_full_disk_is_retryable_and_changes_nothing(tmp_path: Path, empty_rules: Path) -> None:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    with small_tmpfs(tmp_path / "dbfs", size_kb=16 * 1024) as fs:
        config = ServeConfig(db=fs / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(empty_rules,),
                             ghost_after=timedelta(days=14), refresh_interval=timedelta(0), open_enrolment=True)
        with BackgroundCollector(config) as c, grpc.insecure_channel(c.target) as ch:
            known, known_key = enrol(ch, "known", secret="")
            c.collector.approve(known, "test admin")
            # An empty write-ahead log: the next write needs a page the full disk no longer has.
            assert c.collector.store.checkpoint_if_idle()
            filler = fill(fs)
            try:
                for source_id, key in (("new", None), (known, known_key), (known, None)):  # None+known: the approval
                    err = refused(ch, source_id, secret="", key=key)
                    assert err.code() == grpc.StatusCode.UNAVAILABLE, (source_id, err.code(), err.details())
                    assert len(err.details().splitlines()) == 1
                    retry = dict(err.trailing_metadata() or ())
                    assert int(retry[RETRY_AFTER]) >= 1000
                assert c.collector.keyring.current_hash("new") is None
                assert c.collector.keyring.source_for(known_key) == known, "the old key still works"
                # The agent takes it as pushback and keeps its state.
                state = NodeState.load(tmp_path / "agent" / "state.json")
                client = IngestClient(c.target, state, kind=report_pb2.SOURCE_KIND_AGENT, timeout_s=30)
                with client, pytest.raises(Pushback) as pushed:
                    client.ensure_enrolled()
                assert pushed.value.retry_after_s >= 1.0 and not state.node_key
            finally:
                filler.unlink()
            assert enrol(ch, "new", secret="")[0] == "new"
            _, renewed = enrol(ch, known, secret="")  # the approval was not spent by the failed attempt
            assert c.collector.keyring.source_for(known_key) is None and c.collector.keyring.source_for(renewed)
            client = IngestClient(c.target, state, kind=report_pb2.SOURCE_KIND_AGENT, timeout_s=30)
            with client:
                client.ensure_enrolled()
            assert state.node_key

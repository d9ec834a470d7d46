"""Issue 14 with `serve --workers 2`: the Ingest certificate binding holds on every front-end.

Front-ends serve Ingest themselves (collector/serve/frontend.py), so each needs the bound certificate
names: at start from the writer's keyring, and for every enrolment by the broadcast that carries the
new key. Connections are opened one at a time so the kernel spreads them over both front-ends.
"""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from tests.collector.serve.enrolment_helpers import STORED, enrol, refused
from tests.collector.serve.helpers import report_stream, snapshot
from tests.collector.serve.test_workers import Processes, stop
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    for argv in (("ca",), ("server",), ("client", "--name", "host-a"), ("client", "--name", "host-b")):
        r = run_cli("netcensus", "certs", argv[0], "--dir", str(d), *argv[1:])
        assert r.code == 0, r.err
    return d


def test_the_certificate_binding_holds_through_the_front_ends(procs: Processes, pki: Path) -> None:
    w = procs.writer("--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server-key.pem"),
                     "--tls-client-ca", str(pki / "ca.pem"))
    assert len(procs.note(w)) == 2

    def tls(name: str) -> grpc.Channel:
        creds = grpc.ssl_channel_credentials((pki / "ca.pem").read_bytes(), (pki / f"{name}-key.pem").read_bytes(),
                                             (pki / f"{name}.pem").read_bytes())
        return grpc.secure_channel(w.target, creds, options=[("grpc.use_local_subchannel_pool", 1)])

    def send(name: str, seq: int, key: str) -> tuple[list[int], grpc.StatusCode | None]:
        with tls(name) as ch:
            acks, error = report_stream(ch, [snapshot("victim", seq, items=3).SerializeToString()], key)
        return [a.status for a in acks], error.code() if error is not None else None

    with tls("host-a") as ch:
        _, key = enrol(ch, "victim", secret="")
    seq = 0
    for _attempt in range(6):  # new connections land on either front-end
        seq += 1
        assert send("host-a", seq, key) == ([STORED], None)
        assert send("host-b", 1000 + seq, key) == ([], grpc.StatusCode.PERMISSION_DENIED)
        with tls("host-b") as ch:
            assert refused(ch, "victim", secret="", key=key).code() == grpc.StatusCode.PERMISSION_DENIED
    assert stop(w) == 0
    # Restarted, the front-ends get the binding from the store through the writer's keyring.
    procs.start(w)
    for _attempt in range(4):
        seq += 1
        assert send("host-a", seq, key) == ([STORED], None)
        assert send("host-b", 1000 + seq, key) == ([], grpc.StatusCode.PERMISSION_DENIED)
    assert stop(w) == 0
    r = run_cli("netcensus", "sql", "--db", str(w.db), "--format", "json",
                "SELECT count(*) AS n, max(seq) AS top FROM reports WHERE source_id = 'victim'")
    assert r.code == 0, r.err
    assert json.loads(r.out) == [{"n": seq, "top": seq}], "every report of host-b's certificate was refused"

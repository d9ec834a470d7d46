"""Issue 14 with `serve --workers 2`: the access check holds through the front-ends, and the caller's
address and certificate reach the writer's audit log; headers a caller forges are dropped."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from tests.collector.serve.helpers import enroll, report_stream, snapshot
from tests.collector.serve.test_access import bearer, calls, status
from tests.collector.serve.test_workers import Processes, channel, stop
from tests.conftest import TEST_TOKEN, run_cli

FORGED = [("x-netcensus-forwarded-peer", "ipv4:203.0.113.9:1"), ("x-netcensus-forwarded-cert", "user:bootstrap")]
ADMIN_RPCS = ("ListSources", "ImportRegister", "RevokeSource", "CreateToken", "ListTokens", "RevokeToken")


def audit_rows(db: Path) -> list[dict[str, str]]:
    r = run_cli("netcensus", "audit", "--db", str(db), "--format", "json")
    assert r.code == 0, r.err
    rows: list[dict[str, str]] = json.loads(r.out)
    return rows


def test_every_refusal_holds_through_the_front_ends(procs: Processes) -> None:
    w = procs.writer()
    assert len(procs.note(w)) == 2
    reader = run_cli("netcensus", "tokens", "create", "rita", "--role", "reader", "--collector", w.target)
    assert reader.code == 0, reader.err
    rita = reader.out.strip()
    with channel(w.target) as ch:
        source, key = enroll(ch, "victim")
        _, err = report_stream(ch, [snapshot(source, 1).SerializeToString()], key)
        assert err is None
    for _attempt in range(4):  # new connections: both front-ends answer
        for metadata in ([], FORGED, bearer(key), bearer("nct_guess") + FORGED):
            with channel(w.target) as ch:
                codes = {name: status(call) for name, call in calls(ch, metadata).items()}
            assert codes == dict.fromkeys(codes, grpc.StatusCode.UNAUTHENTICATED), (metadata, codes)
        with channel(w.target) as ch:
            codes = {name: status(call) for name, call in calls(ch, bearer(rita) + FORGED).items()}
        assert codes["ListAssets"] == codes["ListFindings"] == grpc.StatusCode.OK
        assert {codes[n] for n in ADMIN_RPCS} == {grpc.StatusCode.PERMISSION_DENIED}
    assert stop(w) == 0
    rows = audit_rows(w.db)
    assert len(rows) >= 4 * 5 * 8
    assert all(r["peer"].startswith("ipv4:127.0.0.1:") for r in rows), {r["peer"] for r in rows}
    assert any(r["who"] == "source:victim" for r in rows)
    assert {(r["action"], r["outcome"]) for r in rows if r["who"] == "rita" and r["outcome"] == "ok"} == {
        ("ListAssets", "ok"), ("ListFindings", "ok")}
    listed = run_cli("netcensus", "sources", "list", "--db", str(w.db), "--format", "json")
    assert json.loads(listed.out)[0]["revoked_at"] is None  # the anonymous RevokeSource did nothing


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    for argv in (("ca",), ("server",), ("client", "--name", "agent1"), ("client", "--name", "bootstrap", "--kind",
                                                                         "user")):
        r = run_cli("netcensus", "certs", argv[0], "--dir", str(d), *argv[1:])
        assert r.code == 0, r.err
    return d


def test_mtls_binding_holds_through_the_front_ends(procs: Processes, pki: Path) -> None:
    w = procs.writer("--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server-key.pem"),
                     "--tls-client-ca", str(pki / "ca.pem"))

    def tls(name: str) -> grpc.Channel:
        creds = grpc.ssl_channel_credentials((pki / "ca.pem").read_bytes(), (pki / f"{name}-key.pem").read_bytes(),
                                             (pki / f"{name}.pem").read_bytes())
        return grpc.secure_channel(w.target, creds, options=[("grpc.use_local_subchannel_pool", 1)])

    for _attempt in range(4):
        with tls("agent1") as ch:  # an agent's certificate, the admin token, and forged headers
            codes = {name: status(call) for name, call in calls(ch, bearer(TEST_TOKEN) + FORGED).items()}
        assert codes == dict.fromkeys(codes, grpc.StatusCode.PERMISSION_DENIED), codes
        with tls("bootstrap") as ch:
            assert status(calls(ch, bearer(TEST_TOKEN))["ListAssets"]) == grpc.StatusCode.OK
    assert stop(w) == 0
    rows = audit_rows(w.db)
    denied = [r for r in rows if r["outcome"].startswith("PERMISSION_DENIED")]
    assert denied and all("cert agent:agent1" in r["peer"] and "203.0.113.9" not in r["peer"] for r in denied)
    assert any(r["outcome"] == "ok" and "cert user:bootstrap" in r["peer"] for r in rows)

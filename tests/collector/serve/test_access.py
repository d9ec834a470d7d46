"""Issue 14, credentials: Query and Admin answer only named API tokens of the right role, node keys
never, a mutual-TLS certificate only for what it was issued to; every call is audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from netcensus.v1 import query_pb2, query_pb2_grpc

from tests.collector.serve.helpers import REPO, enroll, report_stream, snapshot
from tests.conftest import TEST_TOKEN, run_cli

REGISTER = REPO / "tests" / "data" / "register" / "snipeit_import_sample.csv"
NO_TOKEN = {"NETCENSUS_TOKEN": "", "NETCENSUS_ADMIN_TOKEN": ""}


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def calls(ch: grpc.Channel, metadata: list[tuple[str, str]]) -> dict[str, Callable[[], Any]]:
    """Every Query/Admin RPC the issue names, made with `metadata`."""
    q, a = query_pb2_grpc.QueryStub(ch), query_pb2_grpc.AdminStub(ch)
    register = query_pb2.ImportRequest(format="snipeit", content=REGISTER.read_bytes(), filename="r.csv")
    return {
        "ListAssets": lambda: list(q.ListAssets(query_pb2.AssetsRequest(), metadata=metadata, timeout=20)),
        "ListFindings": lambda: list(q.ListFindings(query_pb2.FindingsRequest(), metadata=metadata, timeout=20)),
        "ListSources": lambda: list(a.ListSources(query_pb2.ListSourcesRequest(), metadata=metadata, timeout=20)),
        "ImportRegister": lambda: a.ImportRegister(register, metadata=metadata, timeout=20),
        "RevokeSource": lambda: a.RevokeSource(query_pb2.RevokeSourceRequest(source_id="victim"),
                                               metadata=metadata, timeout=20),
        "CreateToken": lambda: a.CreateToken(query_pb2.CreateTokenRequest(name="mallory", role="admin"),
                                             metadata=metadata, timeout=20),
        "ListTokens": lambda: list(a.ListTokens(query_pb2.ListTokensRequest(), metadata=metadata, timeout=20)),
        "RevokeToken": lambda: a.RevokeToken(query_pb2.RevokeTokenRequest(name="bootstrap"), metadata=metadata,
                                             timeout=20),
        "ApproveEnrolment": lambda: a.ApproveEnrolment(query_pb2.ApproveEnrolmentRequest(source_id="victim"),
                                                       metadata=metadata, timeout=20),
        "ListAudit": lambda: list(a.ListAudit(query_pb2.ListAuditRequest(), metadata=metadata, timeout=20)),
    }


def status(call: Callable[[], Any]) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def audit(c: Any) -> list[dict[str, Any]]:
    return c.collector.store.query("SELECT who, role, action, target, peer, outcome FROM audit_log "
                                   "ORDER BY happened_at")


def victim_with_report(ch: grpc.Channel) -> str:
    source, key = enroll(ch, "victim")
    acks, err = report_stream(ch, [snapshot(source, 1, host="secret-host").SerializeToString()], key)
    assert err is None and acks[0].status == 1
    return key


@pytest.mark.parametrize("metadata", [[], bearer(""), bearer("nct_guessed"), [("x-netcensus-admin-token", "x")]],
                         ids=["none", "empty", "unknown", "legacy-header-wrong"])
def test_anonymous_and_unknown_callers_get_nothing(make_collector, metadata) -> None:
    """Found: Query and Admin answered callers without credentials (also with an admin token set)."""
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        victim_with_report(ch)
        codes = {name: status(call) for name, call in calls(ch, metadata).items()}
    assert codes == dict.fromkeys(codes, grpc.StatusCode.UNAUTHENTICATED)
    store = c.collector.store
    assert store.query("SELECT count(*) AS n FROM recorded_assets")[0]["n"] == 0  # nothing imported
    assert store.revoked_sources() == set()  # nothing revoked
    assert store.tokens() == []  # no token made
    rows = audit(c)
    assert sorted(r["action"] for r in rows) == sorted(codes)
    assert all(r["who"] == "-" and r["outcome"].startswith("UNAUTHENTICATED") and r["peer"].startswith("ipv4:127.0.0.1")
               for r in rows), rows


def test_with_no_token_at_all_nothing_is_open_and_the_answer_says_how_to_make_one(make_collector) -> None:
    c = make_collector(admin_token=None)
    with grpc.insecure_channel(c.target) as ch, pytest.raises(grpc.RpcError) as info:
        calls(ch, [])["ListAssets"]()
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "netcensus tokens create" in (info.value.details() or "")
    r = run_cli("netcensus", "assets", "--collector", c.target, env=NO_TOKEN)
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1 and "tokens create" in r.err, r.err


def test_a_node_key_is_never_an_api_token(make_collector) -> None:
    c = make_collector()
    with grpc.insecure_channel(c.target) as ch:
        key = victim_with_report(ch)
        for metadata in (bearer(key), [("x-netcensus-admin-token", key)]):
            codes = {name: status(call) for name, call in calls(ch, metadata).items()}
            assert codes == dict.fromkeys(codes, grpc.StatusCode.UNAUTHENTICATED)
    rows = audit(c)
    assert rows and all(r["who"] == "source:victim" and "node key" in r["outcome"] for r in rows)
    assert c.collector.store.revoked_sources() == set()


def test_reader_reads_and_may_not_administer(make_collector) -> None:
    c = make_collector()
    made = run_cli("netcensus", "tokens", "create", "alice", "--role", "reader", "--collector", c.target)
    assert made.code == 0, made.err
    token = made.out.strip()
    assert token.startswith("nct_") and len(token) > 40
    with grpc.insecure_channel(c.target) as ch:
        victim_with_report(ch)
        codes = {name: status(call) for name, call in calls(ch, bearer(token)).items()}
    assert codes["ListAssets"] == codes["ListFindings"] == grpc.StatusCode.OK
    admin = {k: v for k, v in codes.items() if k not in ("ListAssets", "ListFindings")}
    assert admin == dict.fromkeys(admin, grpc.StatusCode.PERMISSION_DENIED)
    assert c.collector.store.revoked_sources() == set()
    rows = [r for r in audit(c) if r["who"] == "alice"]
    assert {r["action"] for r in rows if r["outcome"] == "ok"} == {"ListAssets", "ListFindings"}
    assert all(r["outcome"].startswith("PERMISSION_DENIED") for r in rows if r["action"] not in
               ("ListAssets", "ListFindings"))
    # Stored as a hash only, last use recorded; the token is in no table.
    listed = c.collector.store.query("SELECT * FROM api_tokens")
    assert listed[0]["name"] == "alice" and listed[0]["token_hash"] != token and listed[0]["last_used_at"]
    dump = json.dumps(c.collector.store.query("SELECT * FROM audit_log"), default=str)
    assert token not in dump and token[4:] not in dump


def test_revoked_token_stops_at_once(make_collector) -> None:
    c = make_collector()
    made = run_cli("netcensus", "tokens", "create", "ci-export", "--role", "admin", "--collector", c.target)
    token = made.out.strip()
    env = {"NETCENSUS_TOKEN": token}
    assert run_cli("netcensus", "sources", "list", "--collector", c.target, env=env).code == 0
    revoked = run_cli("netcensus", "tokens", "revoke", "ci-export", "--collector", c.target)
    assert revoked.code == 0, revoked.err
    with grpc.insecure_channel(c.target) as ch:
        codes = {name: status(call) for name, call in calls(ch, bearer(token)).items()}
    assert codes == dict.fromkeys(codes, grpc.StatusCode.UNAUTHENTICATED)
    r = run_cli("netcensus", "findings", "--collector", c.target, env=env)
    assert r.code == 1 and "unknown or revoked" in r.err and len(r.err.strip().splitlines()) == 1
    listed = json.loads(run_cli("netcensus", "tokens", "list", "--collector", c.target, "--format", "json").out)
    assert [(t["name"], t["role"], t["revoked_at"] is not None) for t in listed] == [("ci-export", "admin", True)]
    again = run_cli("netcensus", "tokens", "create", "ci-export", "--role", "reader", "--collector", c.target)
    assert again.code == 1 and "exists already" in again.err


def test_token_comes_from_a_file_or_the_environment_never_argv(make_collector, tmp_path: Path) -> None:
    c = make_collector()
    path = tmp_path / "token"
    path.write_text(TEST_TOKEN + "\n")
    assert run_cli("netcensus", "assets", "--collector", c.target, "--token-file", str(path), env=NO_TOKEN).code == 0
    assert run_cli("netcensus", "assets", "--collector", c.target, env={"NETCENSUS_TOKEN": TEST_TOKEN,
                                                                        "NETCENSUS_ADMIN_TOKEN": ""}).code == 0
    r = run_cli("netcensus", "assets", "--collector", c.target, "--token", TEST_TOKEN, env=NO_TOKEN)
    assert r.code == 1 and "--token" in r.err
    missing = run_cli("netcensus", "assets", "--collector", c.target, "--token-file", str(tmp_path / "nope"))
    assert missing.code == 1 and "cannot read token file" in missing.err


def test_tokens_offline_created_once_hashed_listed_revoked_and_audited(tmp_path: Path, empty_rules: Path) -> None:
    db = tmp_path / "nc.duckdb"
    made = run_cli("netcensus", "tokens", "create", "bob", "--role", "reader", "--db", str(db))
    assert made.code == 0, made.err
    token = made.out.strip()
    assert token.startswith("nct_") and "shown only this once" in made.err
    bad = run_cli("netcensus", "tokens", "create", "bad name!", "--role", "reader", "--db", str(db))
    assert bad.code == 1 and len(bad.err.strip().splitlines()) == 1
    reserved = run_cli("netcensus", "tokens", "create", "bootstrap", "--role", "admin", "--db", str(db))
    assert reserved.code == 1 and "reserved" in reserved.err
    listed = run_cli("netcensus", "tokens", "list", "--db", str(db), "--format", "json")
    assert [(t["name"], t["role"]) for t in json.loads(listed.out)] == [("bob", "reader")]
    assert token.encode() not in db.read_bytes()
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    with BackgroundCollector(ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(empty_rules,),
                                         open_enrolment=True)) as c, grpc.insecure_channel(c.target) as ch:
        assert status(calls(ch, bearer(token))["ListAssets"]) == grpc.StatusCode.OK
        assert status(calls(ch, bearer(token))["ListSources"]) == grpc.StatusCode.PERMISSION_DENIED
    assert run_cli("netcensus", "import", str(REGISTER), "--format", "snipeit", "--db", str(db)).code == 0
    assert run_cli("netcensus", "tokens", "revoke", "bob", "--db", str(db)).code == 0
    entries = json.loads(run_cli("netcensus", "audit", "--db", str(db), "--format", "json").out)
    actions = [(e["who"], e["action"], e["outcome"].split(":")[0]) for e in entries]
    assert actions[0][1:] == ("tokens create", "ok") and actions[0][0].startswith("local:")
    assert ("bob", "ListAssets", "ok") in actions and ("bob", "ListSources", "PERMISSION_DENIED") in actions
    assert actions[-2][1:] == ("import", "ok") and actions[-1][1:] == ("tokens revoke", "ok")
    assert token not in json.dumps(entries)


def test_audit_lines_are_logged_without_the_token(make_collector, caplog) -> None:
    c = make_collector()
    with caplog.at_level("INFO", logger="netcensus.audit"), grpc.insecure_channel(c.target) as ch:
        calls(ch, bearer(TEST_TOKEN))["ListSources"]()
    lines = [r.getMessage() for r in caplog.records if r.name == "netcensus.audit"]
    assert any("who=bootstrap" in line and "action=ListSources" in line and "outcome='ok'" in line
               for line in lines), lines
    assert TEST_TOKEN not in caplog.text


# ------------------------------------------------------------------------------------- mutual TLS

@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    for argv in (("ca",), ("server",), ("client", "--name", "agent1"),
                 ("client", "--name", "scan1", "--kind", "scanner"), ("client", "--name", "carol", "--kind", "user"),
                 ("client", "--name", "dave", "--kind", "user")):
        r = run_cli("netcensus", "certs", argv[0], "--dir", str(d), *argv[1:])
        assert r.code == 0, r.err
    return d


def tls_channel(pki: Path, target: str, name: str) -> grpc.Channel:
    creds = grpc.ssl_channel_credentials((pki / "ca.pem").read_bytes(), (pki / f"{name}-key.pem").read_bytes(),
                                         (pki / f"{name}.pem").read_bytes())
    return grpc.secure_channel(target, creds)


def test_mtls_certificate_is_bound_to_its_identity(make_collector, pki: Path) -> None:
    """Found: with mutual TLS any certificate the CA signed, an agent's included, read everything."""
    c = make_collector(tls_cert=pki / "server.pem", tls_key=pki / "server-key.pem", tls_client_ca=pki / "ca.pem")
    carol = c.collector.create_token("carol", "admin")
    for name in ("agent1", "scan1", "dave"):  # valid token, certificate of someone else
        with tls_channel(pki, c.target, name) as ch:
            codes = {rpc: status(call) for rpc, call in calls(ch, bearer(carol)).items()}
        assert codes == dict.fromkeys(codes, grpc.StatusCode.PERMISSION_DENIED), (name, codes)
    with tls_channel(pki, c.target, "carol") as ch:
        assert status(calls(ch, bearer(carol))["ListAssets"]) == grpc.StatusCode.OK
        assert status(calls(ch, [])["ListAssets"]) == grpc.StatusCode.UNAUTHENTICATED
    denied = [r for r in audit(c) if r["outcome"].startswith("PERMISSION_DENIED")]
    assert any("agent:agent1" in r["peer"] and "issued to an agent" in r["outcome"] for r in denied)
    assert any("scanner:scan1" in r["peer"] for r in denied) and any("user:dave" in r["peer"] for r in denied)
    # The CLI with carol's certificate and token.
    r = run_cli("netcensus", "assets", "--collector", c.target, "--ca", str(pki / "ca.pem"), "--cert",
                str(pki / "carol.pem"), "--key", str(pki / "carol-key.pem"), env={"NETCENSUS_TOKEN": carol})
    assert r.code == 0, r.err
    r = run_cli("netcensus", "assets", "--collector", c.target, "--ca", str(pki / "ca.pem"), "--cert",
                str(pki / "agent1.pem"), "--key", str(pki / "agent1-key.pem"), env={"NETCENSUS_TOKEN": carol})
    assert r.code == 1 and "issued to an agent" in r.err and len(r.err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------ start-up policy

def test_no_enrolment_secret_refused_unless_open_enrolment_which_warns(make_collector, caplog,
                                                                      tmp_path: Path) -> None:
    from collector.errors import UsageError

    with pytest.raises(UsageError, match="--open-enrolment"):
        make_collector(db=tmp_path / "refused.duckdb", open_enrolment=False)
    assert not (tmp_path / "refused.duckdb").exists()
    with caplog.at_level("WARNING", logger="netcensus.server"):
        make_collector(db=tmp_path / "open.duckdb")
    assert any(r.levelname == "WARNING" and "OPEN ENROLMENT" in r.getMessage() for r in caplog.records)
    assert make_collector(db=tmp_path / "secret.duckdb", open_enrolment=False, enrol_secret="s3cret").port > 0


def test_serve_command_refuses_without_secret_in_one_line(tmp_path: Path, empty_rules: Path) -> None:
    from tests.collector.serve.helpers import free_port

    r = run_cli("netcensus", "serve", "--db", str(tmp_path / "x.duckdb"), "--listen", f"127.0.0.1:{free_port()}",
                "--rules", str(empty_rules), env={"NETCENSUS_ENROL_SECRET": ""}, timeout=60)
    assert r.code == 1 and "--open-enrolment" in r.err and len(r.err.strip().splitlines()) == 1, r.err


def test_the_audit_log_is_read_over_grpc_by_an_admin_only(make_collector) -> None:
    c = make_collector()
    made = run_cli("netcensus", "tokens", "create", "carol", "--role", "reader", "--collector", c.target)
    assert made.code == 0, made.err
    reader = made.out.strip()
    assert run_cli("netcensus", "assets", "--collector", c.target, env=NO_TOKEN).code == 1
    denied = run_cli("netcensus", "audit", "--collector", c.target, env={"NETCENSUS_TOKEN": reader})
    assert denied.code == 1 and "PERMISSION_DENIED" not in denied.out and "ListAudit needs admin" in denied.err
    shown = run_cli("netcensus", "audit", "--collector", c.target, "--format", "json")
    assert shown.code == 0, shown.err
    rows = json.loads(shown.out)
    actions = [(r["who"], r["action"], r["outcome"].split(":")[0]) for r in rows]
    assert ("bootstrap", "CreateToken", "ok") in actions
    assert ("-", "ListAssets", "UNAUTHENTICATED") in actions
    assert ("carol", "ListAudit", "PERMISSION_DENIED") in actions
    assert all(r["peer"].startswith("ipv4:127.0.0.1:") for r in rows)
    assert reader not in shown.out  # never a token

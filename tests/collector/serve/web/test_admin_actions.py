"""An admin's actions on the dashboard, through Starlette's TestClient over a real collector's dashboard
app (its store, live state, audit writer and Admin paths): readers refused, CSRF checked on plain form
posts, each action taking effect in the store and the live findings, audited with the user and role,
bad input answered in one line with nothing written, and the read-only copy refusing every action."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.collector.serve.web.conftest import ADMIN_PASSWORD, READER_PASSWORD, login
from tests.collector.vulns.vulns_support import OSV
from tests.conftest import run_cli
from tests.e2e.test_vulnerable_software import _openssl, _report


@pytest.fixture
def acting(make_collector: Any, tmp_path: Path) -> Iterator[Any]:
    """A collector with an OSV feed, two Heartbleed-vulnerable servers reported by their agents, users alice
    (reader) and root (admin), and a TestClient over the dashboard app it serves."""
    from starlette.testclient import TestClient

    from collector.serve.web.passwords import hash_password
    from collector.serve.web.serving import for_collector
    from collector.store import users as users_sql

    imported = run_cli("netcensus", "vulns", "import", str(OSV), "--db", str(tmp_path / "nc.duckdb"),
                       "--source", "osv")
    assert imported.code == 0, imported.err
    running = make_collector()
    _report(running.target, tmp_path / "a", _openssl("1.0.1e-2+deb7u4"))
    _report(running.target, tmp_path / "b", _openssl("1.0.1e-2+deb7u3", purl=False), name="web-08",
            mac="00:1b:21:0a:08:08", serial="7XK2Q13")
    c = running.collector
    assert c.settle(60)
    now = datetime.now(UTC)
    users_sql.add_user(c.store, "alice", "reader", hash_password(READER_PASSWORD, n=2**10), now)
    users_sql.add_user(c.store, "root", "admin", hash_password(ADMIN_PASSWORD, n=2**10), now)
    with TestClient(for_collector(c, "127.0.0.1:0").app, base_url="http://127.0.0.1") as client:
        client.nc = c  # type: ignore[attr-defined]
        yield client


def _csrf(client: Any) -> str:
    """The session's CSRF token, as every page carries it (the logout form)."""
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]


def _vuln(client: Any, host: str) -> dict[str, Any]:
    (row,) = client.nc.store.query("SELECT finding_id, asset_id, suppressed, suppression FROM findings "
                                   "WHERE kind = 'vulnerable-software' AND hostname = ? AND resolved_at IS NULL",
                                   [host])
    return row  # type: ignore[no-any-return]


def _exceptions(client: Any) -> list[dict[str, Any]]:
    return client.nc.store.query("SELECT exception_id, advisory, package, hostname, asset_id, reason, until, "
                                 "created_by, revoked_at FROM vuln_exceptions ORDER BY exception_id")


def _audit(client: Any, action: str) -> list[dict[str, Any]]:
    return [r for r in client.nc.store.audit_entries() if r["action"] == f"web {action}"]


def test_a_reader_sees_no_action_and_is_refused_every_one(acting: Any) -> None:
    assert login(acting).status_code == 303
    finding = _vuln(acting, "web-07")
    for path in ("/findings?kind=vulnerable-software", f"/assets/{finding['asset_id']}", "/sources", "/exceptions"):
        page = acting.get(path)
        assert page.status_code == 200 and "/admin/" not in page.text and "Suppress…" not in page.text, path
    csrf = _csrf(acting)
    assert acting.get(f"/admin/suppress?finding={finding['finding_id']}").status_code == 403
    posts = [("/admin/suppress", {"finding": finding["finding_id"], "reason": "r", "until": "2099-01-01",
                                  "scope": "asset", "package": "this"}),
             ("/admin/sources/revoke", {"source": acting.nc.store.sources()[0]["source_id"]}),
             ("/admin/assets/decide", {"asset": finding["asset_id"], "action": "merge", "other": "web-08",
                                       "reason": "same box"}),
             ("/admin/exceptions/1/end", {})]
    for path, form in posts:
        r = acting.post(path, data={**form, "csrf": csrf}, follow_redirects=False)
        assert r.status_code == 403 and "admin role" in r.text, path
    assert _exceptions(acting) == []
    assert all(s["revoked_at"] is None for s in acting.nc.store.sources())
    assert acting.nc.store.query("SELECT count(*) AS n FROM manual_decisions")[0]["n"] == 0
    refused = [r for r in acting.nc.store.audit_entries() if r["who"] == "alice" and r["outcome"] == "403 role"]
    assert len(refused) == 5


def test_form_posts_without_the_sessions_csrf_token_are_refused(acting: Any) -> None:
    assert login(acting, "root", ADMIN_PASSWORD).status_code == 303
    finding = _vuln(acting, "web-07")
    form = {"finding": finding["finding_id"], "reason": "compensating control", "until": "2099-01-01",
            "scope": "asset", "package": "this"}
    assert acting.post("/admin/suppress", data=form, follow_redirects=False).status_code == 403
    forged = acting.post("/admin/suppress", data={**form, "csrf": "a-guess"}, follow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text
    # The token in a header (htmx) passes the gate as the form field does.
    assert acting.post("/admin/suppress", data={**form, "reason": ""}, headers={"X-CSRF-Token": _csrf(acting)},
                       follow_redirects=False).status_code == 400
    # A form body past the gate's bound is refused before anything reads it.
    huge = acting.post("/admin/suppress", data={**form, "csrf": _csrf(acting), "reason": "x" * 70_000},
                       follow_redirects=False)
    assert huge.status_code == 413
    assert _exceptions(acting) == []
    outcomes = [r["outcome"] for r in acting.nc.store.audit_entries() if r["who"] == "root"]
    assert outcomes.count("403 csrf") == 2 and outcomes.count("413 form") == 1


def test_an_admin_suppresses_a_finding_then_ends_the_exception(acting: Any) -> None:
    assert login(acting, "root", ADMIN_PASSWORD).status_code == 303
    finding = _vuln(acting, "web-07")
    listed = acting.get("/findings?kind=vulnerable-software")
    assert listed.text.count("Suppress…") == 2
    form_page = acting.get(f"/admin/suppress?finding={finding['finding_id']}&back=/findings")
    assert form_page.status_code == 200 and "CVE-2014-0160" in form_page.text
    csrf = _csrf(acting)
    base = {"csrf": csrf, "finding": finding["finding_id"], "reason": "isolated VLAN until the rebuild",
            "until": "2099-06-30", "scope": "asset", "package": "this", "back": "/findings?kind=vulnerable-software"}

    # Bad input: one line on the form, what was typed kept, nothing written.
    for change, message in (({"reason": "  "}, "a reason must say why"),
                            ({"until": "next spring"}, "until &#39;next spring&#39;: not a date"),
                            ({"until": ""}, "give the last day"),
                            ({"scope": "host", "host": ""}, "name the hosts"),
                            ({"scope": "host", "host": "web-[07"}, "bad glob")):
        r = acting.post("/admin/suppress", data={**base, **change}, follow_redirects=False)
        assert r.status_code == 400 and message in r.text, change
        assert len(re.findall(r'class="problem"', r.text)) == 1
    # What was typed comes back on the form, escaped like every value.
    kept = acting.post("/admin/suppress", data={**base, "reason": "<script>pwned=1</script>", "until": "x"},
                       follow_redirects=False)
    assert kept.status_code == 400 and "&lt;script&gt;pwned=1&lt;/script&gt;" in kept.text
    assert "<script>pwned" not in kept.text
    unknown = acting.post("/admin/suppress", data={**base, "finding": "no-such-finding"}, follow_redirects=False)
    assert unknown.status_code == 404 and "no finding" in unknown.text
    assert _exceptions(acting) == [] and not _vuln(acting, "web-07")["suppressed"]

    done = acting.post("/admin/suppress", data=base, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/findings?kind=vulnerable-software"
    (exc,) = _exceptions(acting)
    assert (exc["advisory"], exc["package"], exc["asset_id"], exc["hostname"], exc["created_by"]) == \
        ("CVE-2014-0160", "openssl", finding["asset_id"], None, "root")
    # The live state took it in before the redirect: suppressed in the store, gone from the open list,
    # listed under Exceptions with its reason and author; the other server's finding untouched.
    assert _vuln(acting, "web-07")["suppressed"] and f"exception #{exc['exception_id']}" in \
        _vuln(acting, "web-07")["suppression"]
    assert not _vuln(acting, "web-08")["suppressed"]
    assert "web-07" not in acting.get("/findings?kind=vulnerable-software").text
    exceptions = acting.get("/exceptions").text
    assert "isolated VLAN until the rebuild" in exceptions and ">root<" in exceptions
    (row,) = [r for r in _audit(acting, "vulns accept") if r["outcome"].startswith("ok")]
    assert (row["who"], row["role"]) == ("root", "admin") and "CVE-2014-0160" in row["target"]
    assert any(r["outcome"].startswith("refused: a reason") for r in _audit(acting, "vulns accept"))

    ended = acting.post(f"/admin/exceptions/{exc['exception_id']}/end", data={"csrf": csrf}, follow_redirects=False)
    assert ended.status_code == 303
    assert _exceptions(acting)[0]["revoked_at"] is not None and not _vuln(acting, "web-07")["suppressed"]
    again = acting.post(f"/admin/exceptions/{exc['exception_id']}/end", data={"csrf": csrf}, follow_redirects=False)
    assert again.status_code == 404 and "no active exception" in again.text
    assert [r["outcome"] for r in _audit(acting, "vulns unaccept")] == ["ok", "refused: no active exception #1"]


def test_an_admin_revokes_a_source_after_confirming(acting: Any) -> None:
    assert login(acting, "root", ADMIN_PASSWORD).status_code == 303
    sid = str(acting.nc.store.sources()[-1]["source_id"])
    assert "Revoke…" in acting.get("/sources").text
    confirm = acting.get(f"/admin/sources/revoke?source={sid}")
    assert confirm.status_code == 200 and f"Revoke {sid}" in confirm.text
    assert all(s["revoked_at"] is None for s in acting.nc.store.sources())  # the GET changed nothing
    csrf = _csrf(acting)
    r = acting.post("/admin/sources/revoke", data={"csrf": csrf, "source": sid}, follow_redirects=False)
    assert r.status_code == 303
    assert next(s for s in acting.nc.store.sources() if s["source_id"] == sid)["revoked_at"] is not None
    assert acting.nc.keyring.is_revoked(sid)  # its key stops working at once, as RevokeSource does
    assert "revoked already" in acting.get(f"/admin/sources/revoke?source={sid}").text
    twice = acting.post("/admin/sources/revoke", data={"csrf": csrf, "source": sid}, follow_redirects=False)
    assert twice.status_code == 400
    unknown = acting.post("/admin/sources/revoke", data={"csrf": csrf, "source": "nope"}, follow_redirects=False)
    assert unknown.status_code == 404
    assert [(r["who"], r["role"], r["outcome"]) for r in _audit(acting, "RevokeSource")] == [
        ("root", "admin", "ok"), ("root", "admin", "refused: revoked already"),
        ("root", "admin", "refused: no such source")]


def test_an_admin_merges_two_assets_and_undoes_it(acting: Any) -> None:
    assert login(acting, "root", ADMIN_PASSWORD).status_code == 303
    first = _vuln(acting, "web-07")["asset_id"]
    assert 'href="/admin/assets/decide?asset=' in acting.get(f"/assets/{first}").text
    csrf = _csrf(acting)
    form = {"csrf": csrf, "asset": first, "action": "merge", "other": "web-08", "reason": ""}
    refused = acting.post("/admin/assets/decide", data=form, follow_redirects=False)
    assert refused.status_code == 400 and 'class="problem"' in refused.text
    self_merge = acting.post("/admin/assets/decide", data={**form, "other": first, "reason": "x"},
                             follow_redirects=False)
    assert self_merge.status_code == 400
    assert acting.nc.store.query("SELECT count(*) AS n FROM manual_decisions")[0]["n"] == 0

    merged = acting.post("/admin/assets/decide", data={**form, "reason": "one chassis, two NICs"},
                         follow_redirects=False)
    assert merged.status_code == 303
    page = acting.get(merged.headers["location"])
    assert page.status_code == 200 and "web-07" in page.text and "web-08" in page.text
    hosts = acting.nc.store.query("SELECT hostnames FROM assets WHERE list_contains(hostnames, 'web-07')")
    assert sorted(hosts[0]["hostnames"]) == ["web-07", "web-08"]  # one asset now, in the live state
    (decision,) = acting.nc.store.query("SELECT decision_id, action, decided_by, reason FROM manual_decisions")
    assert (decision["action"], decision["decided_by"], decision["reason"]) == ("merge", "root",
                                                                                  "one chassis, two NICs")
    decide_page = acting.get(f"/admin/assets/decide?asset={first}")
    assert "one chassis, two NICs" in decide_page.text and f"/admin/decisions/{decision['decision_id']}/undo" \
        in decide_page.text

    undone = acting.post(f"/admin/decisions/{decision['decision_id']}/undo", data={"csrf": csrf},
                         follow_redirects=False)
    assert undone.status_code == 303
    hosts = acting.nc.store.query("SELECT hostnames FROM assets WHERE list_contains(hostnames, 'web-07')")
    assert hosts[0]["hostnames"] == ["web-07"]
    outcomes = [(r["who"], r["outcome"]) for r in acting.nc.store.audit_entries()
                if r["action"] in ("web assets decide", "web assets undo")]
    assert ("root", "ok") in outcomes and any(o.startswith("ok:") for _, o in outcomes)
    assert sum(o.startswith("refused") for _, o in outcomes) == 2


@pytest.fixture
def read_only(estate: Path, tmp_path: Path) -> Iterator[Any]:
    """`netcensus ui`'s dashboard (serving.over_file) over a read-only copy of the estate with admin 'root'."""
    import shutil

    from starlette.testclient import TestClient

    from collector.serve.web.passwords import hash_password
    from collector.serve.web.serving import over_file
    from collector.store import users as users_sql
    from collector.store.duckdb import Store

    db = tmp_path / "copy.duckdb"
    shutil.copy(estate, db)
    store = Store.open(db)
    users_sql.add_user(store, "root", "admin", hash_password(ADMIN_PASSWORD, n=2**10), datetime.now(UTC))
    store.close()
    store = Store.open(db, read_only=True)
    try:
        with TestClient(over_file(store, "127.0.0.1:0", tls_cert=None, tls_key=None).app,
                        base_url="http://127.0.0.1") as client:
            yield client
    finally:
        store.close()


def test_the_read_only_copy_offers_and_accepts_no_action(read_only: Any) -> None:
    """`netcensus ui` over a file (no AdminActions): an admin sees no button and every action is refused."""
    web = read_only
    assert login(web, "root", ADMIN_PASSWORD).status_code == 303
    for path in ("/findings", "/sources", "/exceptions"):
        assert "/admin/" not in web.get(path).text, path
    csrf = _csrf(web)
    for path in ("/admin/suppress", "/admin/sources/revoke", "/admin/assets/decide"):
        r = web.post(path, data={"csrf": csrf, "finding": "x", "source": "x", "asset": "x"}, follow_redirects=False)
        assert r.status_code == 403 and "read-only copy" in r.text, path
    assert web.get("/admin/suppress?finding=x").status_code == 403

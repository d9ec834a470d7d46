"""The dashboard's gate: nothing without a session, login by password or token, CSRF, roles, expiry,
throttling, security headers and the access log — through Starlette's TestClient over a real estate."""

from __future__ import annotations

import re
from typing import Any

from tests.collector.serve.web.conftest import ADMIN_PASSWORD, READER_PASSWORD, login
from tests.conftest import TEST_TOKEN


def test_nothing_is_served_without_a_session(web: Any) -> None:
    for path in ("/", "/findings?kind=ghost", "/findings?format=csv", "/assets", "/access", "/trends"):
        r = web.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
        assert "ghost" not in r.text
    polled = web.get("/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert polled.status_code == 401
    refused = [row for row in web.nc_audit.rows if row["outcome"] == "401 no session"]
    assert {row["target"] for row in refused} >= {"/", "/findings?kind=ghost", "/access"}
    assert web.get("/static/htmx.min.js").status_code == 200  # vendored files need no session


def test_password_login_opens_a_session_and_every_page_view_is_audited(web: Any) -> None:
    r = login(web)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    page = web.get("/findings?kind=ghost")
    assert page.status_code == 200 and "alice (reader)" in page.text
    seen = [row for row in web.nc_audit.rows if row["who"] == "alice"]
    assert any(row["target"] == "/findings?kind=ghost" and row["outcome"] == "200" for row in seen)
    assert any(row["action"] == "web login" and row["outcome"] == "ok login (password)" for row in seen)
    assert all(READER_PASSWORD not in str(row) for row in web.nc_audit.rows)


def test_wrong_password_unknown_user_and_forged_form_are_refused(web: Any) -> None:
    wrong = login(web, password="not the password")
    assert wrong.status_code == 303 and "error=1" in wrong.headers["location"]
    assert "netcensus_session" not in wrong.headers.get("set-cookie", "")
    assert login(web, name="nobody").status_code == 303
    assert web.get("/", follow_redirects=False).status_code == 303
    forged = web.post("/login", data={"name": "alice", "password": READER_PASSWORD, "csrf": "guess"},
                      follow_redirects=False)
    assert forged.status_code == 403


def test_failed_logins_are_throttled_per_address(web: Any) -> None:
    for _ in range(5):
        login(web, password="wrong password!")
    r = login(web)  # the right password, too late
    assert r.status_code == 429
    assert any(row["outcome"].startswith("429") for row in web.nc_audit.rows)


def test_api_token_login_and_roles(web: Any) -> None:
    assert login(web).status_code == 303
    assert web.get("/access").status_code == 403  # reader
    web.cookies.clear()
    r = login(web, name="", password="", token=TEST_TOKEN)
    assert r.status_code == 303
    page = web.get("/access")
    assert page.status_code == 200 and "bootstrap (admin)" in page.text
    web.cookies.clear()
    assert login(web, name="root", password=ADMIN_PASSWORD).status_code == 303
    assert web.get("/access").status_code == 200
    web.cookies.clear()
    assert login(web, token="nct_not-a-token").headers["location"].startswith("/login?error=1")


def test_state_changing_requests_need_the_session_csrf_token(web: Any) -> None:
    login(web)
    assert web.post("/findings").status_code == 403  # no token
    assert web.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert web.get("/", follow_redirects=False).status_code == 200  # still logged in
    csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/").text).group(1)  # type: ignore[union-attr]
    out = web.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert web.get("/", follow_redirects=False).status_code == 303


def test_sessions_expire_when_idle(web: Any) -> None:
    now = [1000.0]
    web.nc_auth.clock = lambda: now[0]
    login(web)
    assert web.get("/", follow_redirects=False).status_code == 200
    now[0] += web.nc_auth.policy.idle.total_seconds() - 1
    assert web.get("/", follow_redirects=False).status_code == 200  # still in use: the idle clock restarts
    now[0] += web.nc_auth.policy.idle.total_seconds() + 1
    assert web.get("/", follow_redirects=False).status_code == 303


def test_login_goes_on_only_to_a_path_of_this_site(web: Any) -> None:
    form = web.get("/login?next=//evil.example/x")
    assert 'value="/"' in form.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    r = web.post("/login", data={"name": "alice", "password": READER_PASSWORD, "csrf": csrf,
                                 "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_security_headers(web: Any) -> None:
    login(web)
    for r in (web.get("/"), web.get("/login"), web.get("/findings?format=csv")):
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
    page = web.get("/").text
    assert "<script>" not in page and " style=" not in page and "onclick" not in page  # no inline script or style

"""Log in (user password or API token) and out."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from collector.errors import NetcensusError
from collector.serve.web.auth import CSRF_FIELD, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Authenticator, csrf_ok
from collector.serve.web.middleware import peer_of
from collector.serve.web.render import templates
from collector.serve.web.views.common import local_path

_MAX_FIELD = 1024


def _next(value: str | None) -> str:
    """Where to go after login: a path on this site only (no open redirect)."""
    return local_path(value)


async def login_form(request: Request) -> Response:
    """The form, with a double-submit CSRF value in a cookie and a hidden field.

    A value the browser already holds is kept: a second tab, or the browser's own request for
    /favicon.ico landing here, must not invalidate the form already on screen.
    """
    held = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = held if len(held) >= 40 and held.replace("-", "").replace("_", "").isalnum() else secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, "login.html", {
        "csrf": token, "next": _next(request.query_params.get("next")), "error": request.query_params.get("error"),
        "tokens": request.app.state.auth.tokens is not None})
    _cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login_submit(request: Request) -> Response:
    """Check the credential; on success open a session and go on to `next`."""
    auth: Authenticator = request.app.state.auth
    form = await request.form()
    values = {k: str(form.get(k, ""))[:_MAX_FIELD] for k in ("name", "password", "token", CSRF_FIELD, "next")}
    where = request.client.host if request.client else "-"
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), values[CSRF_FIELD]):
        await _audit(request, "-", None, "403 login csrf")
        return PlainTextResponse("login form expired or forged: reload the login page", status_code=403)
    if auth.throttled(where):
        await _audit(request, values["name"] or "-", None, "429 too many failed logins")
        return PlainTextResponse("too many failed logins from this address; wait a few minutes", status_code=429)
    found = auth.check(values["name"].strip(), values["password"], values["token"])
    if found is None:
        auth.failed(where)
        await _audit(request, values["name"].strip() or "-", None,
                     "401 login failed (" + ("token" if values["token"] else "password") + ")")
        return RedirectResponse(f"/login?error=1&next={_quote(_next(values['next']))}", status_code=303)
    name, role, via = found
    if not await _audit(request, name, role, f"ok login ({via})"):
        return PlainTextResponse("the access log cannot be written now; retry later", status_code=503)
    session = auth.open(name, role, via, where)
    response = RedirectResponse(_next(values["next"]), status_code=303)
    _cookie(request, response, SESSION_COOKIE, session.sid, max_age=int(auth.policy.lifetime.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    """End the session (its CSRF token in the form: a forged logout is refused too)."""
    auth: Authenticator = request.app.state.auth
    session = request.state.session
    form = await request.form()
    if not csrf_ok(session.csrf, str(form.get(CSRF_FIELD, ""))):
        return PlainTextResponse("CSRF token missing or wrong", status_code=403)
    auth.close(session.sid)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=bool(request.app.state.tls))


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")


async def _audit(request: Request, who: str, role: str | None, outcome: str) -> bool:
    """Write the attempt's audit row; False when it could not be written (no session is then opened)."""
    try:
        await request.app.state.audit({"at": request.app.state.ctx.clock(), "who": who[:64], "role": role,
                                       "action": "web login", "target": "/login", "peer": peer_of(request),
                                       "outcome": outcome})
    except NetcensusError:
        return False
    return True

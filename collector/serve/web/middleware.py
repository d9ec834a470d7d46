"""The gate in front of every page: session check, role, CSRF, audit row, security headers.

Why one middleware and not a check in each view: a view added later is guarded without anyone
remembering to (nothing is served without authentication, issue #19). Only `/login` and the
vendored `/static/` files pass without a session.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

from collector.errors import NetcensusError
from collector.serve.access import ADMIN
from collector.serve.web.auth import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, AuditSink, Authenticator, csrf_ok, may
from collector.serve.web.page import link

log = logging.getLogger("netcensus.web")

#: Paths only an admin may open: the access log, and every action that changes something (/admin/...).
ADMIN_PATHS = ("/access", "/admin")
#: Largest form body the gate reads to find its CSRF field (the dashboard's forms are a few short fields).
MAX_FORM_BYTES = 64 * 1024
#: Paths whose POST checks its CSRF form field itself (the login form has no session yet; logout reads
#: the session's token from the form).
SELF_CHECKED = ("/login", "/logout")
_SAFE = ("GET", "HEAD")
#: What open pages poll: the live state's generation, a number. It needs a session like every page
#: but writes no audit row (it shows no data; a row every two seconds per open page would bury the log).
PULSE = "/pulse"

# No inline script or style anywhere: htmx runs with allowEval/allowScriptTags/includeIndicatorStyles off
# (templates/base.html) and uPlot styles elements through the CSSOM, which style-src does not govern.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def security_headers(response: Response, *, tls: bool, static: bool) -> None:
    """Headers every response carries; pages with data are never stored by a browser or proxy."""
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cache-Control"] = "public, max-age=3600" if static else "no-store"
    if tls:
        h["Strict-Transport-Security"] = "max-age=31536000"


async def form_csrf(request: Request) -> str | None:
    """The CSRF field of a plain (urlencoded) form post, else None.

    Why here and not in each view: a browser's own form post cannot set a header, so the token travels
    as a field, and the gate checks it for every state-changing request whichever way it came. The body
    is read once (bounded by MAX_FORM_BYTES, ValueError past it) and Starlette hands the same bytes on
    to the view.
    """
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise ValueError(f"form too large or without a length (at most {MAX_FORM_BYTES} bytes)")
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=100)
    values = fields.get(CSRF_FIELD)
    return values[0] if values else None


def peer_of(request: Request) -> str:
    """host:port of the browser (the socket's; no forwarded headers are trusted)."""
    return f"{request.client.host}:{request.client.port}" if request.client else "-"


class Gate(BaseHTTPMiddleware):
    """See the module doc."""

    def __init__(self, app: ASGIApp, *, auth: Authenticator, audit: AuditSink, clock: Callable[[], object],
                 tls: bool) -> None:
        super().__init__(app)
        self._auth = auth
        self._audit = audit
        self._clock = clock
        self._tls = tls

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if path.startswith("/static/"):
            response = await call_next(request)
            security_headers(response, tls=self._tls, static=True)
            return response
        if path == "/login":
            response = await call_next(request)  # audits its own attempts
            security_headers(response, tls=self._tls, static=False)
            return response
        session = self._auth.session(request.cookies.get(SESSION_COOKIE))
        target = f"{path}?{request.url.query}" if request.url.query else path
        if session is None:
            response = (RedirectResponse(link("/login", next=target), status_code=303)
                        if request.method in _SAFE and "hx-request" not in request.headers and path != PULSE
                        else PlainTextResponse("not logged in (or the session expired)", status_code=401))
            return await self._answer(request, response, "-", None, target, "401 no session")
        if request.method not in _SAFE and path not in SELF_CHECKED:
            presented = request.headers.get(CSRF_HEADER)
            if presented is None:
                try:
                    presented = await form_csrf(request)
                except ValueError as exc:
                    return await self._answer(request, PlainTextResponse(str(exc), status_code=413),
                                              session.name, session.role, target, "413 form")
            if not csrf_ok(session.csrf, presented):
                return await self._answer(request, PlainTextResponse("CSRF token missing or wrong", status_code=403),
                                          session.name, session.role, target, "403 csrf")
        if any(path == p or path.startswith(p + "/") for p in ADMIN_PATHS) and not may(session, ADMIN):
            return await self._answer(request, PlainTextResponse("this page needs the admin role", status_code=403),
                                      session.name, session.role, target, "403 role")
        request.state.session = session
        # Read before the view reads its data: an update landing meanwhile moves the generation past the
        # one the page carries, so its next poll fetches the content again.
        request.state.generation = request.app.state.ctx.generation()
        if path == PULSE and request.method in _SAFE:
            response = await call_next(request)
            security_headers(response, tls=self._tls, static=False)
            return response
        response = await call_next(request)
        return await self._answer(request, response, session.name, session.role, target, str(response.status_code))

    async def _answer(self, request: Request, response: Response, who: str, role: str | None, target: str,
                      outcome: str) -> Response:
        try:
            await self.record(request, who, role, target, outcome)
        except NetcensusError as exc:  # no audit row, no answer (as for Query and Admin)
            log.error("audit row not written: %s", exc)
            response = PlainTextResponse("the access log cannot be written now; retry later", status_code=503)
        security_headers(response, tls=self._tls, static=False)
        return response

    async def record(self, request: Request, who: str, role: str | None, target: str, outcome: str) -> None:
        """One audit row for this request."""
        await self._audit({"at": self._clock(), "who": who, "role": role, "action": f"web {request.method}",
                           "target": target[:500], "peer": peer_of(request), "outcome": outcome})

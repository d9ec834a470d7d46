"""The dashboard's Starlette application: routes, static files, the gate (collector/serve/web/middleware.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from collector.serve.web.auth import AuditSink, Authenticator
from collector.serve.web.context import WebContext
from collector.serve.web.middleware import PULSE, Gate
from collector.serve.web.views import admin, findings, inventory, login, operations, overview, software

STATIC = Path(__file__).parent / "static"


def pulse(request: Request) -> Response:
    """The live state's generation (a number): open pages ask for it every few seconds and fetch their
    content again only when it moved (static/app.js)."""
    return PlainTextResponse(str(request.app.state.ctx.generation()))


def build_app(ctx: WebContext, *, auth: Authenticator, audit: AuditSink, tls: bool) -> Starlette:
    """The application over `ctx`; every route but /login and /static/ behind a session."""
    routes = [
        Route("/login", login.login_form, methods=["GET"]),
        Route("/login", login.login_submit, methods=["POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        Route("/", overview.overview),
        Route("/findings", findings.findings_view),
        Route("/trends", findings.trends),
        Route("/changes", inventory.changes_view),
        Route("/coverage", inventory.coverage_view),
        Route("/ghosts", inventory.ghosts),
        Route("/assets", inventory.assets_view),
        Route("/assets/{ref:path}", inventory.asset_page),
        Route("/breakdown", inventory.breakdown_view),
        Route("/software", software.software_view),
        Route("/sources", operations.sources_view),
        Route("/exceptions", operations.exceptions_view),
        Route("/access", operations.access_view),
        Route(PULSE, pulse),
        # An admin's actions (views/admin.py): the gate lets only admins in, and checks CSRF on each POST.
        Route("/admin/suppress", admin.suppress_form, methods=["GET"]),
        Route("/admin/suppress", admin.suppress_submit, methods=["POST"]),
        Route("/admin/exceptions/{exception_id:int}/end", admin.end_exception, methods=["POST"]),
        Route("/admin/sources/revoke", admin.revoke_form, methods=["GET"]),
        Route("/admin/sources/revoke", admin.revoke_submit, methods=["POST"]),
        Route("/admin/assets/decide", admin.decide_form, methods=["GET"]),
        Route("/admin/assets/decide", admin.decide_submit, methods=["POST"]),
        Route("/admin/decisions/{decision_id:int}/undo", admin.undo_decision, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    clock: Callable[[], object] = ctx.clock
    app = Starlette(routes=routes, middleware=[Middleware(Gate, auth=auth, audit=audit, clock=clock, tls=tls)])
    app.state.ctx = ctx
    app.state.auth = auth
    app.state.audit = audit
    app.state.tls = tls
    return app

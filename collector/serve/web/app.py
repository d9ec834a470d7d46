"""The dashboard's Starlette application: routes, static files, the gate (collector/serve/web/middleware.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from collector.serve.web.auth import AuditSink, Authenticator
from collector.serve.web.context import WebContext
from collector.serve.web.middleware import Gate
from collector.serve.web.views import findings, inventory, login, operations, overview, software

STATIC = Path(__file__).parent / "static"


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
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    clock: Callable[[], object] = ctx.clock
    app = Starlette(routes=routes, middleware=[Middleware(Gate, auth=auth, audit=audit, clock=clock, tls=tls)])
    app.state.ctx = ctx
    app.state.auth = auth
    app.state.audit = audit
    app.state.tls = tls
    return app

"""Pages to HTML (Jinja2, autoescape on) or, with ?format=csv|json, one of their tables as a download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates

from collector.serve.web.page import Page, cell, export, export_links

TEMPLATES = Path(__file__).parent / "templates"

NAV = (("overview", "/", "Overview"), ("findings", "/findings", "Findings"), ("trends", "/trends", "Over time"),
       ("changes", "/changes", "Changes"), ("coverage", "/coverage", "Coverage"), ("ghosts", "/ghosts", "Ghost ageing"),
       ("software", "/software", "Software"), ("assets", "/assets", "Assets"), ("breakdown", "/breakdown", "Breakdown"),
       ("sources", "/sources", "Sources"), ("exceptions", "/exceptions", "Exceptions"))


def environment() -> jinja2.Environment:
    """The template environment: autoescape on for every template, whatever its file name."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["cell"] = cell
    return env


templates = Jinja2Templates(env=environment())


def render(request: Request, page: Page, template: str = "page.html", **context: Any) -> Response:
    """The page as HTML, or the table `?table=` (default: the first) as `?format=csv|json`."""
    fmt = request.query_params.get("format")
    if fmt:
        if fmt not in ("csv", "json"):
            return PlainTextResponse(f"format {fmt[:20]!r}: use csv or json", status_code=400)
        wanted = request.query_params.get("table") or (page.tables[0].name if page.tables else "")
        table = next((t for t in page.tables if t.name == wanted), None)
        if table is None:
            return PlainTextResponse(f"this page has no table {wanted[:40]!r}", status_code=404)
        return export(table, fmt)
    session = request.state.session
    ctx = request.app.state.ctx
    self_url = request.url.path + ("?" + request.url.query if request.url.query else "")
    return templates.TemplateResponse(request, template, {
        "page": page, "nav": NAV, "session": session, "read_only": ctx.read_only, "poll": ctx.poll_seconds,
        "generation": getattr(request.state, "generation", 0),
        "exports": {t.name: export_links(request, t) for t in page.tables}, "self_url": self_url, **context})


def problem(request: Request, status: int, message: str) -> Response:
    """A one-line error as a page (bad filter value, unknown asset)."""
    session = getattr(request.state, "session", None)
    ctx = request.app.state.ctx
    return templates.TemplateResponse(request, "problem.html", {
        "message": message, "nav": NAV, "session": session, "read_only": ctx.read_only,
        "page": Page(title="Problem", view="")}, status_code=status)

"""Small helpers the views share: reading filters, the store and the clock of the request's app."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request

from collector.config import parse_duration
from collector.errors import UsageError
from collector.serve.access import ADMIN
from collector.serve.web.auth import may
from collector.serve.web.context import WebContext
from collector.serve.web.page import Row, link

MAX_TEXT = 200


def ctx(request: Request) -> WebContext:
    """The app's context."""
    context: WebContext = request.app.state.ctx
    return context


def text(request: Request, name: str) -> str:
    """A text filter, stripped and bounded."""
    return request.query_params.get(name, "").strip()[:MAX_TEXT]


def choice(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    """A filter that must be one of `allowed`; UsageError names the choices."""
    value = request.query_params.get(name, "") or default
    if value not in allowed:
        raise UsageError(f"{name}={value[:40]!r}: use one of {', '.join(allowed)}")
    return value


def duration(request: Request, name: str, default: str, *, most: timedelta = timedelta(days=800)) -> timedelta:
    """A window such as 1d, 12h or 90d (collector/config.py's syntax), at most `most`."""
    value = request.query_params.get(name, "") or default
    window = parse_duration(value[:20], name)
    if window > most:
        raise UsageError(f"{name}={value[:20]!r}: at most {most.days} days")
    return window


def asset_link(row: Row) -> str | None:
    """The asset page of a row that names an asset."""
    return f"/assets/{row['asset_id']}" if row.get("asset_id") else None


def findings_link(**params: object) -> str:
    """The findings list with these filters."""
    return link("/findings", **params)


def can_act(request: Request) -> bool:
    """Whether this page offers admin actions: an admin's session on a collector's dashboard (never on
    `netcensus ui`'s read-only copy, never to a reader; the routes refuse them too)."""
    session = getattr(request.state, "session", None)
    return ctx(request).actions is not None and session is not None and may(session, ADMIN)


def local_path(value: str | None, default: str = "/") -> str:
    """`value` if it is a path on this site, else `default`: where a login or an action goes on to,
    never another site (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default

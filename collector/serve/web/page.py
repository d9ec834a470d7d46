"""What a view hands to the template: a page of summary cards, filter fields, tables and charts.

One shape for every view, so one template shows them all and one function exports any table as
CSV or JSON of exactly the rows and columns shown (`?format=csv&table=NAME`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from collector.escaping import json_safe
from collector.output import iso, to_csv

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Card:
    """A headline number, its change since a day ago, and the list it stands for."""

    label: str
    value: int
    href: str
    delta: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Field:
    """A filter of the view; `options` makes it a menu, else a text box."""

    name: str
    label: str
    value: str = ""
    options: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """An admin's action on one table row: a link to its form (GET), or a button that posts at once
    (`post`: a form carrying the session's CSRF token). Never part of an export: it is not data."""

    label: str
    href: str
    post: bool = False


@dataclass(slots=True)
class Table:
    """Rows under named columns; `links` maps a column to a function giving each row's link (or None);
    `actions`, when given (admins on a collector's dashboard only), each row's actions."""

    name: str
    title: str
    columns: Sequence[tuple[str, str]]
    rows: Sequence[Row]
    links: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    empty: str = "nothing to show"
    actions: Callable[[Row], Sequence[Action]] | None = None

    def row_actions(self, row: Row) -> Sequence[Action]:
        """The actions offered on one row (none without `actions`)."""
        return self.actions(row) if self.actions is not None else ()

    def href(self, column: str, row: Row) -> str | None:
        """The link of one cell, if its column has one."""
        make = self.links.get(column)
        return make(row) if make is not None else None


@dataclass(frozen=True, slots=True)
class Chart:
    """One time chart: days on the x axis, one line per series (drawn by static/app.js with uPlot)."""

    name: str
    title: str
    days: Sequence[str]
    series: Mapping[str, Sequence[int]]

    def data(self) -> str:
        """The chart's data as JSON, for a data- attribute (the template escapes it)."""
        return json.dumps({"days": list(self.days), "series": dict(self.series)})


@dataclass(slots=True)
class Page:
    """One view's content."""

    title: str
    view: str                                   # the navigation entry it belongs to
    fields: Sequence[Field] = ()
    cards: Sequence[Card] = ()
    tables: Sequence[Table] = ()
    charts: Sequence[Chart] = ()
    notes: Sequence[str] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


def link(path: str, **params: object) -> str:
    """`path` with the given query parameters (empty ones left out), encoded."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "", False)}
    return f"{path}?{urlencode(kept)}" if kept else path


def cell(value: object) -> str:
    """How a value reads in a table cell (the template escapes the result)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        hours = value.total_seconds() / 3600
        return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value) or "–"
    return str(value)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, tuple):
        return list(value)
    return value


def shown(table: Table) -> list[dict[str, object]]:
    """The table's rows reduced to its shown columns, in their order."""
    keys = [k for k, _ in table.columns]
    return [{k: _plain(r.get(k)) for k in keys} for r in table.rows]


def export(table: Table, fmt: str) -> Response:
    """The table as a CSV or JSON download (CSV cells made safe for spreadsheets, collector/output.py)."""
    rows = shown(table)
    if fmt == "csv":
        body = to_csv(rows, [k for k, _ in table.columns])
        media = "text/csv; charset=utf-8"
    else:
        body = json_safe(json.dumps(rows, ensure_ascii=False, default=str, indent=1))
        media = "application/json"
    filename = f"netcensus-{table.name}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def export_links(request: Request, table: Table) -> dict[str, str]:
    """The CSV and JSON links of a table on this page (the page's own filters kept)."""
    params = {k: v for k, v in request.query_params.items() if k not in ("format", "table")}
    return {fmt: link(request.url.path, **params, table=table.name, format=fmt) for fmt in ("csv", "json")}

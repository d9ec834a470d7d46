"""Software: top unauthorised and vulnerable products by host count, drill-down to the hosts with their
versions and dates, and "who runs X"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collector.serve.web.page import Field, Page, Table, link
from collector.serve.web.render import render
from collector.serve.web.views.common import asset_link, ctx, findings_link, text
from collector.store import dashboard

HOST_COLUMNS = [("hostname", "Host"), ("ip", "IP"), ("name", "Name"), ("version", "Version"), ("source", "Source"),
                ("installed_at", "Installed"), ("first_seen", "First seen"), ("last_seen", "Last seen")]


def software_view(request: Request) -> Response:
    """Top products with findings; with ?name= the hosts running it, with ?q= who runs anything like it."""
    c = ctx(request)
    name, query, host = text(request, "name"), text(request, "q"), text(request, "host")
    tables: list[Table] = []
    if name or query:
        rows = dashboard.software_hosts(c.store, name or query, exact=bool(name))
        if host:
            rows = [r for r in rows if r["asset_id"] == host]
        title = f"Hosts running {name}" if name else f"Who runs “{query}”"
        tables.append(Table("hosts", f"{title}: {len(rows)} install(s)", HOST_COLUMNS, rows,
                            links={"hostname": asset_link, "name": lambda r: link("/software", name=r["name"])},
                            empty="no host runs it now"))
    top = dashboard.software_top(c.store)
    for kind, title in (("unauthorised-software", "Top unauthorised products"),
                        ("vulnerable-software", "Top vulnerable products")):
        tables.append(_top(kind, title, [r for r in top if r["kind"] == kind]))
    others = [r for r in top if r["kind"] not in ("unauthorised-software", "vulnerable-software")]
    if others:
        tables.append(_top("other", "Other software findings", others))
    fields = [Field("q", "Who runs… (part of a product name)", query), Field("name", "Product (exact)", name)]
    return render(request, Page(title="Software", view="software", fields=fields, tables=tables))


def _top(name: str, title: str, rows: list[dict[str, object]]) -> Table:
    return Table(name, title, [("product", "Product"), ("kind", "Kind"), ("hosts", "Hosts"), ("versions", "Versions"),
                               ("first_opened", "First flagged")], rows,
                 links={"product": lambda r: link("/software", name=r["product"]),
                        "hosts": lambda r: findings_link(kind=r["kind"], software=r["product"])},
                 empty="none open")

"""Assets: the list, the asset page, changes since the last sweep, coverage, ghost ageing, breakdowns.

The asset page and the changes view are the documents `netcensus asset` and `netcensus changes`
print (collector/inventory/detail.py, changes.py), shown as HTML: one builder, three readers.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector.errors import UsageError
from collector.inventory.changes import changes
from collector.inventory.detail import asset_detail
from collector.pages import changes_rows, document
from collector.rules.order import package_order
from collector.serve.web.page import Card, Field, Page, Table, link
from collector.serve.web.render import problem, render
from collector.serve.web.views.admin import suppress_action
from collector.serve.web.views.common import asset_link, can_act, choice, ctx, duration, text
from collector.store import dashboard

LIMIT = 500


def assets_view(request: Request) -> Response:
    """Assets filtered by text, device type, OS family, and whether the register knows them."""
    c = ctx(request)
    values = dashboard.distinct_values(c.store)
    unrecorded = request.query_params.get("unrecorded") == "1"
    rows = dashboard.assets(c.store, text=text(request, "q") or None, device_type=text(request, "type") or None,
                            os_family=text(request, "os") or None, unrecorded=unrecorded, limit=LIMIT)
    fields = [Field("q", "Host name, IP, MAC or serial", text(request, "q")),
              Field("type", "Device type", text(request, "type"), ("", *values["types"])),
              Field("os", "OS family", text(request, "os"), ("", *values["os"])),
              Field("unrecorded", "Not in the register (1)", "1" if unrecorded else "", ("", "1"))]
    table = Table("assets", f"{len(rows)} asset(s)" + (f" (first {LIMIT})" if len(rows) == LIMIT else ""),
                  [("hostname", "Host"), ("ip", "IP"), ("mac", "MAC"), ("vendor", "Vendor"), ("model", "Model"),
                   ("device_type", "Type"), ("os", "OS"), ("serial", "Serial"), ("record_key", "Record"),
                   ("last_seen", "Last seen")], rows,
                  links={"hostname": asset_link, "ip": asset_link, "mac": asset_link})
    return render(request, Page(title="Assets", view="assets", fields=fields, tables=[table]))


def asset_page(request: Request) -> Response:
    """One asset's page (the document of `netcensus asset REF`); ?format=json gives that document, and
    ?table=NAME&format=csv|json one of its tables as shown."""
    c = ctx(request)
    ref = request.path_params["ref"][:200]
    try:
        doc = document(asset_detail(ref, c.snapshot.for_asset(ref), c.store))
    except UsageError as exc:
        return problem(request, 404, str(exc))
    if request.query_params.get("format") == "json" and not request.query_params.get("table"):
        return JSONResponse(doc, headers={"Content-Disposition": 'attachment; filename="netcensus-asset.json"'})
    a = doc["asset"]
    title = (a["hostnames"] or a["ips"] or a["macs"] or [a["asset_id"]])[0]
    acting = can_act(request)
    tables = [
        Table("comparison", "Register beside what was seen", [("field", "Field"), ("recorded", "Recorded"),
                                                                ("observed", "Observed"), ("state", "State")],
              doc["comparison"], empty="not in the register"),
        Table("identifiers", "Identifiers per source", [("kind", "Kind"), ("value", "Value"), ("source", "Source"),
                                                         ("method", "Method"), ("first_seen", "First seen"),
                                                         ("last_seen", "Last seen"), ("sightings", "Sightings")],
              doc["identifiers"]),
        Table("subjects", "How it was matched", [("subject", "Subject"), ("matched_by", "Key"),
                                                  ("sources", "Sources"), ("first_seen", "First seen"),
                                                  ("last_seen", "Last seen")], _subjects(doc)),
        Table("findings", "Open findings", [("severity", "Severity"), ("kind", "Kind"), ("summary", "Summary"),
                                             ("software_name", "Software"), ("software_version", "Version"),
                                             ("first_seen", "First seen installed"), ("opened_at", "Opened"),
                                             ("suppression", "Suppressed by")], doc["findings"],
              empty="no open finding",
              actions=(lambda r: suppress_action({**r, "asset_id": a["asset_id"]}, request.url.path))
              if acting else None),
        Table("software", "Software", [("name", "Name"), ("version", "Version"), ("source", "Source"),
                                        ("installed_at", "Installed"), ("first_seen", "First seen"),
                                        ("last_seen", "Last seen"), ("findings", "Findings")],
              sorted(doc["software"], key=lambda s: (not s["findings"], s["name"])),
              links={"name": lambda r: link("/software", host=a["asset_id"], name=r["name"])},
              empty="no software reported"),
        Table("timeline", "Finding timeline", [("at", "When"), ("event", "Event"), ("severity", "Severity"),
                                                ("kind", "Kind"), ("summary", "Summary"), ("detail", "Detail")],
              doc["timeline"], empty="no finding ever"),
    ]
    facts = [("Asset id", a["asset_id"]), ("Host names", a["hostnames"]), ("IPs", a["ips"]), ("MACs", a["macs"]),
             ("Vendor", a["vendor"]), ("Model", a["model"]), ("Serial", a["serial"]), ("Type", a["device_type"]),
             ("OS", a["os"]), ("Firmware", a["firmware"]), ("First seen", a["first_seen"]),
             ("Last seen", a["last_seen"]), ("Sources", a["sources"])]
    record = doc["record"]
    if record:
        facts += [("Register", f"{record['register']} {record['record_key']} ({record['filename']}:{record['line']})"),
                  ("Tag", record["asset_tag"]), ("Status", f"{record['status'] or '–'} ({record['status_class']})"),
                  ("Assigned to", record["assigned_to"]), ("Matched by", record["matched_by"])]
    decide = link("/admin/assets/decide", asset=a["asset_id"]) if acting else None
    return render(request, Page(title=str(title), view="assets", tables=tables,
                                extra={"facts": facts, "decide": decide}), template="asset.html")


def _subjects(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"subject": m["subject"], "matched_by": m["key"], "sources": m["sources"],
             "first_seen": m["first_seen"], "last_seen": m["last_seen"]} for m in doc["subjects"]]


def changes_view(request: Request) -> Response:
    """Assets new, gone, back or changed, software and findings changes since the last sweep (or ?since=)."""
    c = ctx(request)
    now = c.clock()
    try:
        window = duration(request, "since", "1d") if request.query_params.get("since") else None
        section = choice(request, "section", ("", "asset", "software", "finding"), "")
    except UsageError as exc:
        return problem(request, 400, str(exc))
    start = now - window if window is not None else dashboard.last_sweep_start(c.store) or now - timedelta(days=1)
    doc = document(changes(c.snapshot(), c.store, since=start, now=now, order=package_order))
    rows = [r for r in changes_rows(doc) if not section or r["section"] == section]
    counts = Counter((r["section"], r["change"]) for r in changes_rows(doc))
    cards = [Card(f"{sec}: {change}", n, link("/changes", since=text(request, "since"), section=sec))
             for (sec, change), n in sorted(counts.items())]
    fields = [Field("since", "Since (e.g. 1d, 7d; empty: the last sweep)", text(request, "since")),
              Field("section", "Section", section, ("", "asset", "software", "finding"))]
    table = Table("changes", f"Changes since {start:%Y-%m-%d %H:%M} UTC",
                  [("section", "Section"), ("change", "Change"), ("at", "When"), ("hostname", "Host"), ("ip", "IP"),
                   ("name", "Name"), ("from_version", "From"), ("to_version", "To"), ("kind", "Kind"),
                   ("detail", "Detail")], rows, links={"hostname": asset_link}, empty="nothing changed")
    return render(request, Page(title="Changes", view="changes", fields=fields, cards=cards, tables=[table]))


def coverage_view(request: Request) -> Response:
    """Share of in-use register records seen inside the ghost window, per site and subnet; and per source."""
    c = ctx(request)
    now = c.clock()
    try:
        by = choice(request, "by", ("site", "subnet"), "site")
    except UsageError as exc:
        return problem(request, 400, str(exc))
    areas = dashboard.coverage(c.store, now, c.ghost_after, by)
    kinds = dashboard.source_totals(c.store, now, c.ghost_after)
    scanners = dashboard.sources(c.store, now, c.ghost_after, kind="scanner", limit=LIMIT)
    tables = [
        Table("areas", f"Register records in use, seen in the last {_days(c.ghost_after)}, per {by}",
              [("area", by.capitalize()), ("recorded", "Recorded"), ("seen", "Seen"), ("seen_pct", "Seen %"),
               ("last_seen", "Last seen")], areas,
              note="" if by == "site" else "Subnet: the /24 of the record's first IPv4 address (or the asset's)."),
        Table("kinds", "Per kind of source", [("kind", "Kind"), ("sources", "Sources"),
                                               ("reported_in_window", "Reported in window"),
                                               ("reported_24h", "Reported today"), ("revoked", "Revoked"),
                                               ("last_report", "Last report"), ("last_sweep", "Last sweep"),
                                               ("last_sweep_incomplete", "Last sweep incomplete")], kinds,
              links={"kind": lambda r: link("/sources", kind=r["kind"])}),
        Table("scanners", "Per scanner", [("source_id", "Scanner"), ("hostname", "Host"),
                                           ("last_report_at", "Last report"), ("subjects_seen", "Seen in window"),
                                           ("last_sweep", "Last sweep"), ("last_complete", "Complete"),
                                           ("errors_24h", "Errors 24 h"), ("last_error", "Last error")], scanners,
              empty="no scanner has reported"),
    ]
    fields = [Field("by", "Group by", by, ("site", "subnet"))]
    return render(request, Page(title="Coverage", view="coverage", fields=fields, tables=tables))


def _days(window: timedelta) -> str:
    return f"{window.days} days" if window.days else f"{int(window.total_seconds() // 3600)} hours"


def ghosts(request: Request) -> Response:
    """Ghosts by how long they have gone unseen: under 7, 7-29, 30-89, 90+ days, never."""
    c = ctx(request)
    now = c.clock()
    order = ("under 7 days", "7-29 days", "30-89 days", "90+ days", "never seen")
    try:
        bucket = choice(request, "bucket", ("", *order), "")
    except UsageError as exc:
        return problem(request, 400, str(exc))
    counts = dashboard.ghost_buckets(c.store, now)
    cards = [Card(b, counts.get(b, 0), link("/ghosts", bucket=b)) for b in order]
    rows = dashboard.ghost_ageing(c.store, now, bucket=bucket or None, limit=LIMIT)
    table = Table("ghosts", ("Ghosts" + (f": {bucket}" if bucket else "")
                             + (f" (the {LIMIT} unseen longest)" if len(rows) == LIMIT else "")),
                  [("hostname", "Host"), ("asset_tag", "Tag"), ("serial", "Serial"), ("ip", "IP"),
                   ("status", "Status"), ("last_seen", "Last seen"), ("days_unseen", "Days unseen"),
                   ("bucket", "Age"), ("opened_at", "Ghost since"), ("suppressed", "Suppressed")], rows,
                  links={"hostname": asset_link}, empty="no ghost")
    fields = [Field("bucket", "Age", bucket, ("", *order))]
    return render(request, Page(title="Ghost ageing", view="ghosts", fields=fields, cards=cards, tables=[table]))


def breakdown_view(request: Request) -> Response:
    """Counts by lifecycle status, OS family and device type, each linking to the matching list."""
    c = ctx(request)
    tables = [
        Table("status", "Register records by lifecycle status", [("class", "Class"), ("status", "Status"),
                                                                   ("records", "Records"), ("matched", "Seen")],
              dashboard.breakdown(c.store, "status")),
        Table("os", "Assets by OS family", [("value", "OS family"), ("assets", "Assets"), ("recorded", "In register")],
              dashboard.breakdown(c.store, "os"), links={"value": lambda r: link("/assets", os=r["value"])}),
        Table("type", "Assets by device type", [("value", "Type"), ("assets", "Assets"),
                                                 ("recorded", "In register")],
              dashboard.breakdown(c.store, "type"), links={"value": lambda r: link("/assets", type=r["value"])}),
    ]
    return render(request, Page(title="Breakdown", view="breakdown", tables=tables))

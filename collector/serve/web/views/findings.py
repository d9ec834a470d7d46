"""Findings: the filterable list, and findings over time (opened vs resolved per day and kind)."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from collector.domain.findings import SEVERITY_ORDER
from collector.errors import UsageError
from collector.serve.web.page import Chart, Field, Page, Table
from collector.serve.web.render import problem, render
from collector.serve.web.views.admin import suppress_action
from collector.serve.web.views.common import asset_link, can_act, choice, ctx, duration, text
from collector.serve.web.views.overview import POSTURE
from collector.store import dashboard

STATES = ("open", "resolved", "all")
SUPPRESSED = ("no", "only", "any")
GROUPS = ("", "posture")
LIMIT = 500

COLUMNS = [("severity", "Severity"), ("kind", "Kind"), ("hostname", "Host"), ("ip", "IP"), ("asset_tag", "Tag"),
           ("software_name", "Software"), ("software_version", "Version"), ("summary", "Summary"),
           ("opened_at", "Opened"), ("resolved_at", "Resolved"), ("last_seen", "Last seen"),
           ("suppression", "Suppressed by")]


def findings_view(request: Request) -> Response:
    """Findings filtered by kind (or group), severity, state, suppression, asset, software and text."""
    c = ctx(request)
    try:
        state = choice(request, "state", STATES, "open")
        supp = choice(request, "suppressed", SUPPRESSED, "no")
        group = choice(request, "group", GROUPS, "")
        severity = choice(request, "severity", ("", *SEVERITY_ORDER), "")
    except UsageError as exc:
        return problem(request, 400, str(exc))
    kind = text(request, "kind")
    kinds = (kind,) if kind else POSTURE if group == "posture" else ()
    rows = dashboard.findings(c.store, kinds=kinds, severity=severity or None, text=text(request, "q") or None,
                              state=state, suppressed={"no": False, "only": True, "any": None}[supp],
                              asset_id=text(request, "asset") or None, software=text(request, "software") or None,
                              limit=LIMIT)
    kinds_known = dashboard.distinct_values(c.store)["kinds"]
    here = request.url.path + ("?" + request.url.query if request.url.query else "")
    fields = [Field("kind", "Kind", kind, ("", *kinds_known)), Field("group", "Group", group, GROUPS),
              Field("severity", "Severity", severity, ("", *reversed(SEVERITY_ORDER))),
              Field("state", "State", state, STATES), Field("suppressed", "Suppressed", supp, SUPPRESSED),
              Field("q", "Host, IP, MAC, serial, tag or text", text(request, "q")),
              Field("software", "Software", text(request, "software")),
              Field("asset", "Asset id", text(request, "asset"))]
    table = Table("findings", f"{len(rows)} finding(s)" + (f" (first {LIMIT})" if len(rows) == LIMIT else ""),
                  COLUMNS, rows, links={"hostname": asset_link, "ip": asset_link},
                  empty="no finding matches these filters",
                  actions=(lambda r: suppress_action(r, here)) if can_act(request) else None)
    return render(request, Page(title="Findings", view="findings", fields=fields, tables=[table]))


def trends(request: Request) -> Response:
    """Per kind, findings opened vs resolved per day; suppressions in a chart of their own."""
    c = ctx(request)
    try:
        window = duration(request, "since", "90d")
    except UsageError as exc:
        return problem(request, 400, str(exc))
    kind = text(request, "kind") or None
    now = c.clock()
    rows = dashboard.timeline(c.store, now - window, kind)
    start = (now - window).date()
    days = [(start + timedelta(days=i)).isoformat() for i in range((now.date() - start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    charts: dict[str, dict[str, list[int]]] = {}
    suppressed: dict[str, list[int]] = {}
    for r in rows:
        day = str(r["day"])
        if day not in index:
            continue
        series = charts.setdefault(str(r["kind"]), {"opened": [0] * len(days), "resolved": [0] * len(days)})
        series["opened"][index[day]] += int(r["opened"])  # type: ignore[call-overload]
        series["resolved"][index[day]] += int(r["resolved"])  # type: ignore[call-overload]
        if r["suppressed"]:
            suppressed.setdefault(str(r["kind"]), [0] * len(days))[index[day]] += int(r["suppressed"])  # type: ignore[call-overload]
    out = [Chart(f"k-{i}", k, days, v) for i, (k, v) in enumerate(sorted(charts.items()))]
    if suppressed:
        out.append(Chart("suppressed", "Suppressed (by an exception), per kind", days, suppressed))
    table = Table("daily", "Per day and kind", [("day", "Day"), ("kind", "Kind"), ("opened", "Opened"),
                                                ("resolved", "Resolved"), ("suppressed", "Suppressed")], rows,
                  empty="no finding opened, resolved or was suppressed in this window")
    fields = [Field("since", "Window (e.g. 30d, 1y)", text(request, "since") or "90d"),
              Field("kind", "Kind", kind or "", ("", *dashboard.distinct_values(c.store)["kinds"]))]
    return render(request, Page(title="Findings over time", view="trends", fields=fields, charts=out, tables=[table]))

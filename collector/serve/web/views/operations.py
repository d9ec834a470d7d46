"""Operations: the sources (agents, scanners), the exceptions in force, and the access log (admin)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collector.errors import UsageError
from collector.serve.web.page import Action, Card, Field, Page, Row, Table, link
from collector.serve.web.render import problem, render
from collector.serve.web.views.common import can_act, choice, ctx, findings_link, text
from collector.store import dashboard

LIMIT = 500


def sources_view(request: Request) -> Response:
    """Agents and scanners: last report, reports, late (spooled) reports and errors in the last day, the spool
    backlog and last error each reported of itself, revoked."""
    c = ctx(request)
    now = c.clock()
    try:
        kind = choice(request, "kind", ("", "agent", "scanner"), "")
    except UsageError as exc:
        return problem(request, 400, str(exc))
    shown = dashboard.sources(c.store, now, c.ghost_after, kind=kind or None, limit=LIMIT)
    totals = dashboard.source_totals(c.store, now, c.ghost_after)
    cards = [Card(f"{t['kind']}s", int(t["sources"]) - int(t["revoked"]), link("/sources", kind=t["kind"]),  # type: ignore[call-overload]
                  note=f"{t['reported_24h']} reported today, {t['revoked']} revoked") for t in totals]
    title = "Agents and scanners" + (f" (first {LIMIT}: with errors first, then newest report)"
                                     if len(shown) == LIMIT else "")
    table = Table("sources", title,
                  [("source_id", "Source"), ("kind", "Kind"), ("hostname", "Host"), ("last_report_at", "Last report"),
                   ("reports_24h", "Reports 24 h"), ("late_24h", "Late 24 h"), ("max_delay", "Longest delay"),
                   ("errors_24h", "Errors 24 h"), ("last_error", "Last error"),
                   ("backlog_reports", "Backlog (reports)"), ("backlog_oldest", "Oldest queued"),
                   ("sender_error", "Last error it reported"), ("sender_error_at", "Error at"),
                   ("subjects_seen", "Seen in window"),
                   ("last_sweep", "Last sweep"), ("last_complete", "Complete"), ("revoked_at", "Revoked")], shown,
                  note="Late: reports that reached the collector more than 10 minutes after the source made them "
                       "(sent from its spool after an outage); the longest delay is the spool's age. Backlog: "
                       "reports still waiting in the source's spool when it sent its latest report, and when the "
                       "oldest was queued (its clock); blank for sources too old to say. Last error: failed "
                       "collectors and scan targets in reports of the last day; last error it reported: the "
                       "source's own last failure to deliver, with when.",
                  actions=_revoke_action if can_act(request) else None)
    fields = [Field("kind", "Kind", kind, ("", "agent", "scanner"))]
    return render(request, Page(title="Sources", view="sources", fields=fields, cards=cards, tables=[table]))


def _revoke_action(row: Row) -> list[Action]:
    """A source not revoked yet can be: the link leads to a confirmation page (views/admin.py)."""
    return [] if row.get("revoked_at") else [Action("Revoke…", link("/admin/sources/revoke", source=row["source_id"]))]


def _end_action(row: Row) -> list[Action]:
    """An accepted risk can be ended at once (it can be accepted again); rule exceptions live in rule packs."""
    return [Action("End", f"/admin/exceptions/{row['exception_id']}/end", post=True)] \
        if row.get("exception_id") is not None else []


def exceptions_view(request: Request) -> Response:
    """Exceptions in force (rule exceptions and accepted risks), and those expiring within 30 days."""
    c = ctx(request)
    rows = dashboard.exceptions(c.store, c.clock())
    expiring = [r for r in rows if r["expires_in_days"] is not None and int(r["expires_in_days"]) <= 30]  # type: ignore[call-overload]
    columns = [("origin", "Origin"), ("what", "Rule or advisory"), ("reason", "Reason"), ("until", "Until"),
               ("expires_in_days", "Days left"), ("hosts", "Hosts"), ("created_by", "By"), ("created_at", "When")]
    links = {"hosts": lambda r: findings_link(suppressed="only", q="") if r["origin"] == "rule" else None}
    actions = _end_action if can_act(request) else None
    return render(request, Page(title="Exceptions", view="exceptions",
                                cards=[Card("In force", len(rows), "/exceptions"),
                                       Card("Expiring within 30 days", len(expiring), link("/exceptions"))],
                                tables=[Table("expiring", "Expiring within 30 days", columns, expiring, links=links,
                                              empty="none expires within 30 days", actions=actions),
                                        Table("active", "All in force", columns, rows, links=links,
                                              actions=actions)],
                                notes=["Accepted risks (vulnerable software) are made from a finding's Suppress "
                                       "action or `netcensus vulns accept`, and ended here or with `netcensus "
                                       "vulns unaccept`. Rule exceptions are part of the rule packs "
                                       "(rules/*.yaml: exceptions with reason and until)."]))


def access_view(request: Request) -> Response:
    """Who looked at or changed what (the audit log: dashboard, Query and Admin); admins only."""
    c = ctx(request)
    who = text(request, "who")
    rows = [r for r in dashboard.access_log(c.store, 1000) if not who or r["who"] == who][:500]
    table = Table("access", "Newest first", [("happened_at", "When"), ("who", "Who"), ("role", "Role"),
                                              ("action", "Action"), ("target", "What"), ("peer", "From"),
                                              ("outcome", "Outcome")], rows)
    return render(request, Page(title="Access log", view="access", fields=[Field("who", "Who", who)], tables=[table],
                                notes=["`netcensus ui` over a read-only file writes its rows to its log instead."]))

"""The overview: how many ghosts, zombies, mismatches, unauthorised and vulnerable software and posture
findings are open, each with its change since a day ago and a link to the list behind it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collector.serve.web.page import Card, Page, Table
from collector.serve.web.render import render
from collector.serve.web.views.common import ctx, findings_link
from collector.store import dashboard

#: Shown first and always (zero included): the questions the dashboard exists for.
HEADLINE = (("ghost", "Ghosts"), ("zombie", "Zombies"), ("mismatch", "Mismatches"),
            ("unauthorised-software", "Unauthorised software"), ("vulnerable-software", "Vulnerable software"))
#: Kinds about the machines' own security settings, summed into one card.
POSTURE = ("unpatched", "disk-unencrypted", "firewall-off", "endpoint-protection-missing", "remote-access-port-open")


def overview(request: Request) -> Response:
    """Headline cards, then every kind of finding present (any kind, shown generically)."""
    c = ctx(request)
    counts = {str(r["kind"]): r for r in dashboard.open_counts(c.store, c.clock())}

    def card(kind: str, label: str) -> Card:
        r = counts.get(kind, {})
        now, before = int(r.get("open_now") or 0), int(r.get("open_day_ago") or 0)  # type: ignore[call-overload]
        return Card(label, now, findings_link(kind=kind), delta=now - before,
                    note=f"{r['suppressed']} suppressed" if r.get("suppressed") else "")

    cards = [card(kind, label) for kind, label in HEADLINE]
    posture_now = sum(int(counts[k]["open_now"]) for k in POSTURE if k in counts)  # type: ignore[call-overload]
    posture_before = sum(int(counts[k]["open_day_ago"]) for k in POSTURE if k in counts)  # type: ignore[call-overload]
    cards.append(Card("Posture findings", posture_now, findings_link(group="posture"),
                      delta=posture_now - posture_before, note=", ".join(POSTURE)))
    rows = [{**r, "change": int(r["open_now"]) - int(r["open_day_ago"])} for r in counts.values()]  # type: ignore[call-overload]
    table = Table("kinds", "Open findings by kind", [("kind", "Kind"), ("open_now", "Open"),
                                                      ("open_day_ago", "Open a day ago"), ("change", "Change"),
                                                      ("suppressed", "Suppressed")],
                  rows, links={"kind": lambda r: findings_link(kind=r["kind"]),
                               "suppressed": lambda r: findings_link(kind=r["kind"], suppressed="only")},
                  empty="no findings yet: the collector has nothing to compare, or everything is in order")
    return render(request, Page(title="Overview", view="overview", cards=cards, tables=[table],
                                notes=["Counts are open findings, suppressed ones apart; the change is against the "
                                       "same moment yesterday."]))

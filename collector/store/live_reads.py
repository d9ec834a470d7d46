"""Reads behind the dashboard's summary views, over the state the live path keeps current.

Part of the store adapter (collector/store/duckdb.py calls these with a cursor of its own). Each is
one statement over a summary table or a narrow view of migration 012 (figures at 100,000 machines in
the README, "Live inventory": a year of per-day finding counts in milliseconds instead of a pass over
every finding of the year).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb


@dataclass(frozen=True, slots=True)
class FindingDay:
    """Findings of one kind opened and resolved on one UTC day (suppressed ones counted apart)."""

    day: date
    kind: str
    suppressed: bool
    opened: int
    resolved: int


@dataclass(frozen=True, slots=True)
class KindCount:
    """Open findings of one kind now and at the same moment a day earlier (the overview's tiles)."""

    kind: str
    open_now: int
    open_day_before: int
    suppressed_now: int


@dataclass(frozen=True, slots=True)
class SubnetCoverage:
    """In-use register records of one subnet (or site) and how many were seen inside the window."""

    subnet: str            # '192.0.2.0/24', '2001:db8::/64', or '' for records without an address
    site: str              # the register's location ('' when none)
    recorded: int
    seen: int
    last_seen: datetime | None

    @property
    def share(self) -> float:
        """Seen / recorded (1.0 for an empty group)."""
        return self.seen / self.recorded if self.recorded else 1.0


def finding_days(cur: duckdb.DuckDBPyConnection, since: date) -> list[FindingDay]:
    """Per day from `since` (UTC), kind and suppression: findings opened and resolved, oldest first."""
    rows = cur.execute("SELECT day, kind, suppressed, opened, resolved FROM finding_days WHERE day >= ? "
                       "ORDER BY day, kind, suppressed", [since]).fetchall()
    return [FindingDay(day, kind, bool(sup), int(o), int(r)) for day, kind, sup, o, r in rows]


def finding_counts(cur: duckdb.DuckDBPyConnection, now: datetime) -> list[KindCount]:
    """Open findings per kind at `now` and at `now` minus a day, from the findings' own open periods.

    A finding resolved and reopened since yesterday counts by its current period only (the findings
    table keeps the last one); suppressed findings are left out of the two counts and counted apart.
    """
    before = now - timedelta(days=1)
    rows = cur.execute("""
        SELECT kind,
               count(*) FILTER (WHERE NOT suppressed AND resolved_at IS NULL) AS open_now,
               count(*) FILTER (WHERE NOT suppressed AND opened_at <= ?
                                AND (resolved_at IS NULL OR resolved_at > ?)) AS open_day_before,
               count(*) FILTER (WHERE suppressed AND resolved_at IS NULL) AS suppressed_now
        FROM findings WHERE resolved_at IS NULL OR resolved_at > ?
        GROUP BY kind ORDER BY kind""", [before, before, before]).fetchall()
    return [KindCount(kind, int(a), int(b), int(c)) for kind, a, b, c in rows]


def coverage_by_subnet(cur: duckdb.DuckDBPyConnection, now: datetime, window: timedelta,
                       by: str = "subnet") -> list[SubnetCoverage]:
    """In-use records per subnet (`by='subnet'`) or per site (`by='site'`), seen inside `window` before `now`.

    A record counts as seen when the asset it matched was last seen inside the window (the ghost
    window; ghost findings also need a covering source, so seen + ghosts need not add up to recorded).
    """
    if by not in ("subnet", "site"):
        raise ValueError(f"coverage by {by!r}: expected 'subnet' or 'site'")
    rows = cur.execute("""
        SELECT coalesce(subnet, CASE WHEN ip LIKE '%:%' THEN ip END, '') AS net, coalesce(site, '') AS site,
               count(*) AS recorded, count(*) FILTER (WHERE last_seen >= ?) AS seen, max(last_seen) AS last_seen
        FROM record_coverage GROUP BY ALL""", [now - window]).fetchall()
    groups: dict[str, SubnetCoverage] = {}
    for net, site, recorded, seen, last in rows:
        subnet = (_v6_subnet(net) if ":" in net else net) if by == "subnet" else ""
        key = subnet if by == "subnet" else site
        held = groups.get(key)
        if held is None:
            groups[key] = SubnetCoverage(subnet, site, int(recorded), int(seen), last)
        else:  # one subnet over several sites (or IPv6 addresses of one /64): one row, site '' when they differ
            groups[key] = SubnetCoverage(
                subnet, held.site if held.site == site else "", held.recorded + int(recorded), held.seen + int(seen),
                max((t for t in (held.last_seen, last) if t is not None), default=None))
    return sorted(groups.values(), key=lambda c: (c.share, c.subnet, c.site))


def _v6_subnet(ip: str) -> str:
    """The /64 of an IPv6 address ('' when it is no address)."""
    try:
        return str(ipaddress.ip_network(f"{ip.split('%', maxsplit=1)[0]}/64", strict=False))
    except ValueError:
        return ""

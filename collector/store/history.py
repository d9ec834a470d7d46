"""What the store kept over time, read for `netcensus asset` (one asset's identifiers, software and
finding history) and `netcensus changes` (what moved inside a time window).

Part of the store adapter (collector/store/duckdb.py calls these with its own cursor). Every read
takes the asset membership from the caller (subject -> asset id, as the refresh just resolved it)
rather than from the asset_members table, so a read-only file, whose table may be older than the
sightings, gives the same answer as the collector. Times come back as aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Rows = list[dict[str, Any]]


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object] | None = None) -> Rows:
    """Rows as dicts; columns named *_us (epoch microseconds) become datetimes under the name without it.

    Why epoch microseconds: DuckDB hands TIMESTAMPTZ back in the session's time zone; these are UTC.
    """
    rel = cur.execute(sql, dict(params) if params else None)
    names = [d[0] for d in rel.description or []]
    out = []
    for values in rel.fetchall():
        row: dict[str, Any] = {}
        for name, value in zip(names, values, strict=True):
            if name.endswith("_us"):
                row[name[:-3]] = None if value is None else _EPOCH + timedelta(microseconds=int(value))
            else:
                row[name] = value
        out.append(row)
    return out


def _with_members(cur: duckdb.DuckDBPyConnection, members: Mapping[str, str]) -> None:
    cur.register("members_now", pa.table({"subject": list(members), "asset_id": list(members.values())},
                                         schema=pa.schema([("subject", pa.string()), ("asset_id", pa.string())])))


# Identifiers as the `identifiers` view spells them (002_views.sql), per source and method.
_IDENTIFIER_KINDS = """
    SELECT subject, source_id, method, seen_at, 'hostname' AS kind, hostname AS value FROM sightings
        WHERE hostname IS NOT NULL AND hostname <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'fqdn', fqdn FROM sightings WHERE coalesce(fqdn, '') <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'serial', serial FROM sightings
        WHERE coalesce(serial, '') <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'uuid', system_uuid FROM sightings
        WHERE coalesce(system_uuid, '') <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'mac', unnest(macs) FROM sightings
    UNION ALL SELECT subject, source_id, method, seen_at, 'local-mac', unnest(local_macs) FROM sightings
    UNION ALL SELECT subject, source_id, method, seen_at, 'ip', unnest(ips) FROM sightings"""


def asset_identifiers(cur: duckdb.DuckDBPyConnection, subjects: Sequence[str]) -> Rows:
    """Every identifier the subjects carried, with first and last seen per source and method."""
    return _rows(cur, f"""
        SELECT kind, value, source_id, method, epoch_us(min(seen_at)) AS first_seen_us,
               epoch_us(max(seen_at)) AS last_seen_us, count(*) AS sightings
        FROM ({_IDENTIFIER_KINDS}) WHERE subject IN (SELECT unnest($subjects)) GROUP BY ALL
        ORDER BY kind, max(seen_at) DESC, value, source_id, method""", {"subjects": list(subjects)})


def asset_software(cur: duckdb.DuckDBPyConnection, subjects: Sequence[str]) -> Rows:
    """Software installed now on the subjects: install date (the package database's) and first/last seen."""
    return _rows(cur, """
        SELECT s.name, s.version, s.arch, s.pkg_source AS source, s.vendor, s.source_package,
               epoch_us(s.installed_at) AS installed_at_us, epoch_us(s.first_seen) AS first_seen_us,
               epoch_us(coalesce(st.last_ok_at, s.first_seen)) AS last_seen_us
        FROM software_installs s
        LEFT JOIN inventory_state st ON st.subject = s.subject AND st.pkg_source = s.pkg_source
        WHERE s.removed_at IS NULL AND s.subject IN (SELECT unnest($subjects))
        ORDER BY lower(s.name), s.name, s.version, s.arch, s.pkg_source""", {"subjects": list(subjects)})


_FINDING_FIELDS = """finding_id, kind, severity, asset_id, hostname, rule_id, software_name, software_version,
    summary, suppressed, suppression, epoch_us(first_seen) AS first_seen_us, epoch_us(last_seen) AS last_seen_us,
    epoch_us(opened_at) AS opened_at_us, epoch_us(resolved_at) AS resolved_at_us"""


def asset_findings(cur: duckdb.DuckDBPyConnection, asset_id: str) -> Rows:
    """The findings open on the asset as the last refresh stored them, most severe first."""
    return _rows(cur, f"""
        SELECT {_FINDING_FIELDS} FROM findings WHERE asset_id = $asset AND resolved_at IS NULL
        ORDER BY list_position(['critical', 'high', 'medium', 'low', 'info'], severity), kind, finding_id""",
                 {"asset": asset_id})


def asset_timeline(cur: duckdb.DuckDBPyConnection, asset_id: str) -> Rows:
    """Every finding event of the asset (under this asset id then, or a finding on it now), oldest first."""
    return _rows(cur, """
        SELECT epoch_us(e.happened_at) AS at_us, e.event, e.finding_id, e.kind, e.severity, e.detail,
               f.summary, f.software_name, f.rule_id
        FROM finding_events e LEFT JOIN findings f USING (finding_id)
        WHERE e.asset_id = $asset OR e.finding_id IN (SELECT finding_id FROM findings WHERE asset_id = $asset)
        ORDER BY e.happened_at, e.finding_id,
                 list_position(['opened', 'reopened', 'suppressed', 'unsuppressed', 'resolved'], e.event)""",
                 {"asset": asset_id})


# --- changes inside a window ------------------------------------------------------------------------

def presence(cur: duckdb.DuckDBPyConnection, members: Mapping[str, str], since: datetime) -> Rows:
    """Per asset: first and last sighting, the last before `since` and the first at or after it."""
    _with_members(cur, members)
    try:
        return _rows(cur, """
            SELECT m.asset_id, epoch_us(min(s.seen_at)) AS first_seen_us, epoch_us(max(s.seen_at)) AS last_seen_us,
                   epoch_us(max(s.seen_at) FILTER (WHERE s.seen_at < $since)) AS last_before_us,
                   epoch_us(min(s.seen_at) FILTER (WHERE s.seen_at >= $since)) AS first_since_us,
                   list(DISTINCT s.source_id) FILTER (WHERE s.seen_at < $since) AS sources_before
            FROM sightings s JOIN members_now m USING (subject) GROUP BY m.asset_id ORDER BY m.asset_id""",
                     {"since": since})
    finally:
        cur.unregister("members_now")


def last_seen_by(cur: duckdb.DuckDBPyConnection, members: Mapping[str, str], since: datetime) -> Rows:
    """The sweeps (scan_runs) of the reports that saw each asset at three moments: its last sighting
    ('last'), its last before `since` ('before') and its first at or after `since` ('back').

    Their targets are the asset's jobs (the same scanner re-running one looked for it again); their
    scan ids are sweeps that did see it, however late they finished.
    """
    _with_members(cur, members)
    try:
        return _rows(cur, """
            WITH seen AS (SELECT m.asset_id, s.report_id, s.source_id, s.seen_at
                          FROM sightings s JOIN members_now m USING (subject)),
                 moments AS (
                     SELECT asset_id, report_id, source_id, 'last' AS moment FROM seen
                     QUALIFY seen_at = max(seen_at) OVER (PARTITION BY asset_id)
                     UNION ALL
                     SELECT asset_id, report_id, source_id, 'before' FROM seen WHERE seen_at < $since
                     QUALIFY seen_at = max(seen_at) OVER (PARTITION BY asset_id)
                     UNION ALL
                     SELECT asset_id, report_id, source_id, 'back' FROM seen WHERE seen_at >= $since
                     QUALIFY seen_at = min(seen_at) OVER (PARTITION BY asset_id))
            SELECT DISTINCT m.asset_id, m.moment, m.source_id, r.scan_id, r.targets
            FROM moments m JOIN scan_runs r USING (report_id)""", {"since": since})
    finally:
        cur.unregister("members_now")


def scan_runs_after(cur: duckdb.DuckDBPyConnection, after: datetime) -> Rows:
    """Every sweep that finished after `after` (complete or not: it looked), by start, oldest first."""
    return _rows(cur, """
        SELECT source_id, scan_id, targets, methods, epoch_us(coalesce(started_at, finished_at)) AS started_at_us,
               epoch_us(finished_at) AS finished_at_us
        FROM scan_runs WHERE finished_at > $after ORDER BY coalesce(started_at, finished_at), finished_at""",
                 {"after": after})


def identity_values(cur: duckdb.DuckDBPyConnection, members: Mapping[str, str], since: datetime) -> Rows:
    """Per asset seen before `since`: host names, serials, MACs and IPs first seen since, or last seen before."""
    _with_members(cur, members)
    try:
        return _rows(cur, f"""
            WITH raw AS (SELECT m.asset_id, r.* FROM ({_IDENTIFIER_KINDS}) r JOIN members_now m USING (subject)
                         WHERE r.kind IN ('hostname', 'serial', 'mac', 'ip')),
                 old AS (SELECT DISTINCT asset_id FROM raw WHERE seen_at < $since),
                 per AS (SELECT asset_id, kind, value, min(seen_at) AS first, max(seen_at) AS last,
                                list(DISTINCT source_id || ':' || method) AS sources FROM raw GROUP BY ALL)
            SELECT asset_id, kind, value, epoch_us(first) AS first_seen_us, epoch_us(last) AS last_seen_us, sources
            FROM per WHERE asset_id IN (SELECT asset_id FROM old) AND (first >= $since OR last < $since)
            ORDER BY asset_id, kind, first""", {"since": since})
    finally:
        cur.unregister("members_now")


def software_moves(cur: duckdb.DuckDBPyConnection, members: Mapping[str, str], since: datetime) -> Rows:
    """Install rows of every (subject, name, arch, source) that changed since `since`, present then or now."""
    _with_members(cur, members)
    try:
        return _rows(cur, """
            WITH touched AS (SELECT DISTINCT subject, name, arch, pkg_source FROM software_installs
                             WHERE first_seen >= $since OR removed_at >= $since),
                 first_inventory AS (SELECT subject, pkg_source, min(first_seen) >= $since AS first_time
                                     FROM software_installs GROUP BY ALL)
            SELECT m.asset_id, s.subject, s.name, s.version, s.arch, s.pkg_source AS source,
                   epoch_us(s.installed_at) AS installed_at_us, epoch_us(s.first_seen) AS first_seen_us,
                   epoch_us(s.removed_at) AS removed_at_us, f.first_time
            FROM software_installs s JOIN touched USING (subject, name, arch, pkg_source)
            JOIN first_inventory f USING (subject, pkg_source)
            LEFT JOIN members_now m USING (subject)
            WHERE s.removed_at IS NULL OR s.removed_at >= $since
            ORDER BY m.asset_id, lower(s.name), s.arch, s.pkg_source, s.first_seen""", {"since": since})
    finally:
        cur.unregister("members_now")


def finding_events_since(cur: duckdb.DuckDBPyConnection, since: datetime) -> Rows:
    """Finding events at or after `since`, with what the finding says now, oldest first."""
    return _rows(cur, """
        SELECT epoch_us(e.happened_at) AS at_us, e.event, e.finding_id, e.kind, e.severity,
               coalesce(e.asset_id, f.asset_id) AS asset_id, f.hostname, f.ip, f.software_name,
               f.software_version, f.rule_id, coalesce(f.summary, e.detail) AS summary,
               CASE WHEN e.event IN ('suppressed', 'unsuppressed') THEN e.detail END AS suppression
        FROM finding_events e LEFT JOIN findings f USING (finding_id)
        WHERE e.happened_at >= $since
        ORDER BY e.happened_at, e.finding_id,
                 list_position(['opened', 'reopened', 'suppressed', 'unsuppressed', 'resolved'], e.event)""",
                 {"since": since})

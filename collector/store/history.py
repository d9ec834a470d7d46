"""What the store kept over time, read for `netcensus asset` (one asset's identifiers, software and
finding history) and `netcensus changes` (what moved inside a time window).

Part of the store adapter (collector/store/duckdb.py calls these with its own cursor). Every read
takes the asset membership from the caller (subject -> asset id, as the refresh just resolved it)
rather than from the asset_members table, so a read-only file, whose table may be older than the
sightings, gives the same answer as the collector. Times come back as aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from collector.store.inventory import _times

Rows = list[dict[str, Any]]


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object] | None = None) -> Rows:
    """Rows as dicts; columns named *_us (epoch microseconds) become datetimes under the name without it.

    Why epoch microseconds through Arrow: DuckDB hands TIMESTAMPTZ back in the session's time zone,
    value by value; fetched row by row, 200,000 rows of changes cost seconds (collector/store/inventory.py).
    """
    columns: dict[str, list[Any]] = cur.sql(sql, params=dict(params) if params else None).to_arrow_table().to_pydict()
    for name in [n for n in columns if n.endswith("_us")]:
        columns[name[:-3]] = _times(columns.pop(name))
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _with_members(cur: duckdb.DuckDBPyConnection, members: Mapping[str, str]) -> None:
    cur.register("members_now", pa.table({"subject": list(members), "asset_id": list(members.values())},
                                         schema=pa.schema([("subject", pa.string()), ("asset_id", pa.string())])))


# Identifiers as the `identifiers` view spells them (002_views.sql), per source and method.
# Read from `mine`, the subjects' own sightings, cut out once: each branch filtering `sightings` itself
# scanned the table seven times (0.07 s at 100,000 machines under load, 0.03 s cut first).
_IDENTIFIER_KINDS = """
    SELECT subject, source_id, method, seen_at, 'hostname' AS kind, hostname AS value FROM mine
        WHERE hostname IS NOT NULL AND hostname <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'fqdn', fqdn FROM mine WHERE coalesce(fqdn, '') <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'serial', serial FROM mine
        WHERE coalesce(serial, '') <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'uuid', system_uuid FROM mine
        WHERE coalesce(system_uuid, '') <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'mac', unnest(macs) FROM mine
    UNION ALL SELECT subject, source_id, method, seen_at, 'local-mac', unnest(local_macs) FROM mine
    UNION ALL SELECT subject, source_id, method, seen_at, 'ip', unnest(ips) FROM mine"""


def asset_identifiers(cur: duckdb.DuckDBPyConnection, subjects: Sequence[str]) -> Rows:
    """Every identifier the subjects carried, with first and last seen per source and method."""
    return _rows(cur, f"""
        WITH mine AS MATERIALIZED (SELECT * FROM sightings WHERE subject IN (SELECT unnest($subjects)))
        SELECT kind, value, source_id, method, epoch_us(min(seen_at)) AS first_seen_us,
               epoch_us(max(seen_at)) AS last_seen_us, count(*) AS sightings
        FROM ({_IDENTIFIER_KINDS}) GROUP BY ALL
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
    # Events and findings are cut down to the asset before they are joined: joined first (one OR filter
    # over the join), a year of history at 100,000 machines took 0.14 s, cut first 0.01 s.
    return _rows(cur, """
        WITH events AS (
            SELECT * FROM finding_events WHERE asset_id = $asset
            UNION ALL SELECT * FROM finding_events
                  WHERE asset_id IS DISTINCT FROM $asset
                    AND finding_id IN (SELECT finding_id FROM findings WHERE asset_id = $asset)),
        about AS (SELECT finding_id, summary, software_name, rule_id FROM findings
                  WHERE finding_id IN (SELECT finding_id FROM events))
        SELECT epoch_us(e.happened_at) AS at_us, e.event, e.finding_id, e.kind, e.severity, e.detail,
               f.summary, f.software_name, f.rule_id
        FROM events e LEFT JOIN about f USING (finding_id)
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


_CHANGING_KINDS = """
    SELECT subject, source_id, method, seen_at, 'hostname' AS kind, hostname AS value FROM sightings
        WHERE coalesce(hostname, '') <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'serial', serial FROM sightings
        WHERE coalesce(serial, '') <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'mac', unnest(macs) FROM sightings
    UNION ALL SELECT subject, source_id, method, seen_at, 'ip', unnest(ips) FROM sightings"""


def identity_values(cur: duckdb.DuckDBPyConnection, members: Mapping[str, str], since: datetime) -> Rows:
    """Per asset seen before `since` that carried a host name, serial, MAC or IP new since then: its new
    values and those last seen before `since` (the ones it no longer carries)."""
    _with_members(cur, members)
    try:
        return _rows(cur, f"""
            WITH per AS (SELECT m.asset_id, r.kind, r.value, min(r.seen_at) AS first, max(r.seen_at) AS last
                         FROM ({_CHANGING_KINDS}) r JOIN members_now m USING (subject) GROUP BY ALL),
                 changed AS (SELECT asset_id FROM per GROUP BY asset_id
                             HAVING min(first) < $since AND max(first) >= $since)
            SELECT asset_id, kind, value, epoch_us(first) AS first_seen_us, epoch_us(last) AS last_seen_us
            FROM per WHERE asset_id IN (SELECT asset_id FROM changed) AND (first >= $since OR last < $since)
            ORDER BY asset_id, kind, first""", {"since": since})
    finally:
        cur.unregister("members_now")


def software_moves(cur: duckdb.DuckDBPyConnection, members: Mapping[str, str], since: datetime) -> Rows:
    """Per (subject, name, arch, source) that changed since `since`: the versions present then and now.

    `first_time` marks a package source whose first rows on the subject came inside the window (its first
    inventory); `newest`/`installed_at` are of the newest row present now, `removed_at` the last removal.
    """
    _with_members(cur, members)
    try:
        return _rows(cur, """
            WITH touched AS (SELECT DISTINCT subject, name, arch, pkg_source FROM software_installs
                             WHERE first_seen >= $since OR removed_at >= $since),
                 first_inventory AS (SELECT subject, pkg_source, min(first_seen) >= $since AS first_time
                                     FROM software_installs WHERE subject IN (SELECT subject FROM touched)
                                     GROUP BY ALL)
            SELECT m.asset_id, s.subject, s.name, s.arch, s.pkg_source AS source, any_value(f.first_time) AS first_time,
                   list(DISTINCT s.version) FILTER (WHERE s.first_seen < $since) AS then_versions,
                   list(DISTINCT s.version) FILTER (WHERE s.removed_at IS NULL) AS now_versions,
                   epoch_us(max(s.first_seen) FILTER (WHERE s.removed_at IS NULL)) AS newest_us,
                   epoch_us(arg_max(s.installed_at, s.first_seen) FILTER (WHERE s.removed_at IS NULL))
                       AS installed_at_us,
                   epoch_us(max(s.removed_at)) AS removed_at_us
            FROM software_installs s JOIN touched USING (subject, name, arch, pkg_source)
            JOIN first_inventory f USING (subject, pkg_source)
            LEFT JOIN members_now m USING (subject)
            WHERE s.removed_at IS NULL OR s.removed_at >= $since
            GROUP BY m.asset_id, s.subject, s.name, s.arch, s.pkg_source
            ORDER BY m.asset_id, lower(s.name), s.arch, s.pkg_source""", {"since": since})
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

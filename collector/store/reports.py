"""Writing reports: a batch of decoded reports as a few Arrow tables and set-based SQL (one transaction).

Called by Store.store_reports with the transaction's cursor; nothing here opens, commits or maps
errors (the Store does). Software lists are applied in rounds (every subject's k-th update of the
batch in round k) so a subject's updates stay ordered while the SQL treats (round, subject) as a key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import accumulate, chain
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from collector.domain.model import IngestReport, InventoryUpdate, Sighting, SoftwareColumns

_SIGHTING_SCHEMA = pa.schema([
    ("report_id", pa.string()), ("source_id", pa.string()), ("method", pa.string()),
    ("seen_at", pa.timestamp("us", tz="UTC")), ("subject", pa.string()), ("hostname", pa.string()),
    ("fqdn", pa.string()), ("ips", pa.list_(pa.string())), ("macs", pa.list_(pa.string())),
    ("local_macs", pa.list_(pa.string())), ("networks", pa.list_(pa.string())), ("serial", pa.string()),
    ("system_uuid", pa.string()), ("vendor", pa.string()), ("model", pa.string()), ("device_type", pa.string()),
    ("os", pa.string()), ("os_family", pa.string()), ("seen_via_ip", pa.string()), ("seen_via_name", pa.string()),
    ("seen_via_port", pa.string()), ("vlan", pa.int32()), ("detail", pa.string()), ("bound_mac", pa.string()),
    ("firmware", pa.string()),
])


def write_reports(cur: duckdb.DuckDBPyConnection, reports: Sequence[IngestReport], now: datetime) -> set[str]:
    """Write fresh reports; return the ids of deltas whose checksum disagrees with our rows."""
    ledger = pa.table({
        "report_id": [r.report_id for r in reports], "source_id": [r.source_id for r in reports],
        "seq": pa.array([r.seq for r in reports], pa.uint64()), "kind": [r.kind for r in reports],
        "created_at": pa.array([r.created_at for r in reports], _TS),
        "received_at": pa.array([now] * len(reports), _TS),
        "items": pa.array([r.item_count for r in reports], pa.int32()),
    })
    cur.register("incoming_reports", ledger)
    cur.execute("INSERT INTO reports SELECT * FROM incoming_reports")
    cur.execute(
        "UPDATE sources SET last_report_at = r.received_at, last_seq = r.seq FROM "
        "(SELECT source_id, max(received_at) AS received_at, max(seq) AS seq FROM incoming_reports GROUP BY 1) r "
        "WHERE sources.source_id = r.source_id")
    cur.unregister("incoming_reports")

    pairs = [(r, s) for r in reports for s in r.sightings]
    if pairs:
        cur.register("incoming_sightings", _sightings_table(pairs))
        cur.execute("INSERT INTO sightings BY NAME SELECT * FROM incoming_sightings")
        cur.unregister("incoming_sightings")

    runs = [
        {"report_id": r.report_id, "subject": c.subject, "name": c.name, "state": c.state,
         "duration_ms": c.duration_ms, "items": c.items, "reason": c.reason or None}
        for r in reports for c in r.collector_runs
    ]
    if runs:
        cur.register("incoming_runs", pa.Table.from_pylist(runs))
        cur.execute("INSERT INTO collector_runs SELECT report_id, subject, name, state, duration_ms, items, reason "
                    "FROM incoming_runs")
        cur.unregister("incoming_runs")

    scans = [
        {"report_id": r.report_id, "scan_id": s.scan_id, "source_id": r.source_id, "targets": list(s.targets),
         "methods": list(s.methods), "started_at": s.started_at, "finished_at": s.finished_at,
         "complete": s.complete}
        for r in reports for s in r.scan_runs
    ]
    if scans:
        cur.register("incoming_scans", pa.Table.from_pylist(scans, schema=pa.schema([
            ("report_id", pa.string()), ("scan_id", pa.string()), ("source_id", pa.string()),
            ("targets", pa.list_(pa.string())), ("methods", pa.list_(pa.string())),
            ("started_at", _TS), ("finished_at", _TS), ("complete", pa.bool_())])))
        cur.execute("INSERT INTO scan_runs SELECT * FROM incoming_scans")
        cur.unregister("incoming_scans")
    outcomes = [
        {"report_id": r.report_id, "scan_id": t.scan_id, "target": t.target, "method": t.method, "ok": t.ok,
         "reason": t.reason or None, "duration_ms": t.duration_ms}
        for r in reports for t in r.target_outcomes
    ]
    if outcomes:
        cur.register("incoming_outcomes", pa.Table.from_pylist(outcomes))
        cur.execute("INSERT INTO scan_target_status SELECT report_id, scan_id, target, method, ok, reason, "
                    "duration_ms FROM incoming_outcomes")
        cur.unregister("incoming_outcomes")

    return _apply_inventories(cur, [(r, inv) for r in reports for inv in r.inventories])

_BACKLOG_SCHEMA = pa.schema([
    ("source_id", pa.string()), ("reported_at", pa.timestamp("us", tz="UTC")),
    ("sent_at", pa.timestamp("us", tz="UTC")), ("queued_reports", pa.uint64()), ("queued_bytes", pa.uint64()),
    ("oldest_queued_at", pa.timestamp("us", tz="UTC")), ("last_error", pa.string()),
    ("last_error_at", pa.timestamp("us", tz="UTC")),
])


def write_backlog(cur: duckdb.DuckDBPyConnection, reports: Sequence[IngestReport], now: datetime) -> int:
    """Keep each source's latest sender state (migration 014); returns the sources updated.

    Every report of the batch counts, duplicates too: a re-sent report carries the state of its new
    send. Within a batch the last one a source sent wins (reports of one stream arrive in send order),
    and a later batch overwrites an earlier one: arrival order, not the sender's clock, which may jump.
    """
    latest = {r.source_id: r.sender for r in reports if r.sender is not None}
    if not latest:
        return 0
    states = list(latest.values())
    cur.register("incoming_backlog", pa.table({
        "source_id": list(latest), "reported_at": pa.array([now] * len(latest), _TS),
        "sent_at": [s.sent_at for s in states], "queued_reports": [s.queued_reports for s in states],
        "queued_bytes": [s.queued_bytes for s in states], "oldest_queued_at": [s.oldest_queued_at for s in states],
        "last_error": [s.last_error or None for s in states], "last_error_at": [s.last_error_at for s in states],
    }, schema=_BACKLOG_SCHEMA))
    cur.execute("""
        INSERT INTO source_backlog BY NAME SELECT * FROM incoming_backlog
        ON CONFLICT (source_id) DO UPDATE SET reported_at = excluded.reported_at, sent_at = excluded.sent_at,
            queued_reports = excluded.queued_reports, queued_bytes = excluded.queued_bytes,
            oldest_queued_at = excluded.oldest_queued_at, last_error = excluded.last_error,
            last_error_at = excluded.last_error_at""")
    cur.unregister("incoming_backlog")
    return len(latest)


def _apply_inventories(cur: duckdb.DuckDBPyConnection,
                       updates: Sequence[tuple[IngestReport, InventoryUpdate]]) -> set[str]:
    """Apply software snapshots and deltas set-wise, in rounds so a subject's updates stay ordered.

    Round k holds every subject's k-th update of the batch, so within a round each subject
    appears once and the SQL can treat (round, subject) as a key.
    """
    rounds: list[list[tuple[IngestReport, InventoryUpdate]]] = []
    depth: dict[str, int] = {}
    for report, inv in updates:
        k = depth.get(inv.subject, 0)
        depth[inv.subject] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append((report, inv))
    diverged: set[str] = set()
    for batch in rounds:
        diverged |= _apply_round(cur, batch)
    if rounds:  # each round replaces them; dropped once, after the last
        for name in _ROUND_TEMPS:
            cur.execute(f"DROP TABLE IF EXISTS {name}")
    return diverged

def _apply_round(cur: duckdb.DuckDBPyConnection,
                 batch: Sequence[tuple[IngestReport, InventoryUpdate]]) -> set[str]:
    """One round of software updates (each subject at most once); returns diverged delta ids.

    The item diff only ever looks at the open rows of the (subject, pkg_source) pairs this
    round touches (a join on them, never the whole history), and a complete source whose list
    has the fingerprint kept in inventory_state for its open rows is left alone: an unchanged
    snapshot costs one aggregate over its own rows and no access to software_installs.
    """
    cur.register("inc_inv", _inventories_table(batch))
    cur.register("inc_sw", _software_table(batch))
    try:
        cur.execute(_ROUND_PAIRS)
        counts = cur.execute(
            "SELECT count(*) FILTER (WHERE NOT unchanged), count(*) FILTER (WHERE is_delta), "
            "count(*) FILTER (WHERE NOT unchanged AND (is_delta OR NOT complete)), "
            "count(*) FILTER (WHERE NOT unchanged AND dups), "
            "count(*) FILTER (WHERE unchanged AND incoming <> '0:0') FROM r_pairs").fetchone()
        to_diff, deltas, to_refingerprint, with_dups, unchanged_listing = (
            (int(n) for n in counts) if counts else (0,) * 5)
        if to_diff:
            for statement in _ROUND_DIFF:
                cur.execute(statement.format(
                    listed=_LISTED_DISTINCT if with_dups else _LISTED_PLAIN,
                    delta_join=_DELTA_JOIN if deltas else "", delta_closes=_DELTA_CLOSES if deltas else "false"))
            kept = cur.execute(_KEPT).fetchone()
            # No unchanged list with rows and no open row kept (a fresh host, or every package
            # replaced): every listed row is new, and the insert needs no joins to find out which.
            insert = _ROUND_INSERT_ALL if not unchanged_listing and kept and not kept[0] else _ROUND_INSERT
            cur.execute(insert.format(rows=_ROWS_COLLAPSED if with_dups else _ROWS_PLAIN))
        if to_refingerprint:
            cur.execute(_ROUND_AFTER)
            for statement in _ROUND_STATE:
                cur.execute(statement)
        else:  # snapshots of complete sources only: each pair's fingerprint is its own list's
            cur.execute(_ROUND_STATE_SNAPSHOTS)
        diverged: set[str] = set()
        if deltas:
            rows = cur.execute(_DELTA_CHECK).fetchall()
            diverged = {str(report_id) for report_id, expected, actual in rows if expected != actual}
    finally:
        cur.unregister("inc_inv")
        cur.unregister("inc_sw")
    return diverged


_TS = pa.timestamp("us", tz="UTC")

# Kinds of rows in inc_sw: listed (snapshot item, delta added), changed (delta), removed (delta).
_LISTED, _CHANGED, _REMOVED = 0, 1, 2
_SOFTWARE_PARTS = (("items", _LISTED), ("changed", _CHANGED), ("removed", _REMOVED))

# SoftwareColumns' string fields, in the order of the inc_sw columns after (inv, kind).
_SW_STRINGS = ("name", "version", "arch", "pkg_source", "vendor", "source_package", "purl")
_SW_SCHEMA = pa.schema([("inv", pa.int32()), ("kind", pa.int8()), *((f, pa.string()) for f in _SW_STRINGS),
                        ("installed_at", _TS)])
_INV_SCHEMA = pa.schema([
    ("inv", pa.int32()), ("subject", pa.string()), ("source_id", pa.string()), ("report_id", pa.string()),
    ("seen_at", _TS), ("is_delta", pa.bool_()), ("complete", pa.list_(pa.string())), ("checksum", pa.string()),
])


def _inventories_table(batch: Sequence[tuple[IngestReport, InventoryUpdate]]) -> pa.Table:
    """One row per update of the round; `inv` is its index, the key inc_sw rows refer to."""
    return pa.table({
        "inv": pa.array(range(len(batch)), pa.int32()),
        "subject": [inv.subject for _, inv in batch],
        "source_id": [r.source_id for r, _ in batch],
        "report_id": [r.report_id for r, _ in batch],
        "seen_at": pa.array([inv.seen_at for _, inv in batch], _TS),
        "is_delta": [inv.is_delta for _, inv in batch],
        "complete": [sorted(inv.complete_sources) for _, inv in batch],
        "checksum": [inv.checksum for _, inv in batch],
    }, schema=_INV_SCHEMA)


def _software_table(batch: Sequence[tuple[IngestReport, InventoryUpdate]]) -> pa.Table:
    """Every software row of the round as one Arrow table, built a column at a time.

    Each field's tuples (SoftwareColumns) of the whole round are chained and converted with one
    pa.array call; the per-row values that repeat (which update, which kind of row) are run-length
    decoded by Arrow.
    """
    parts: list[tuple[int, int, SoftwareColumns]] = [
        (k, kind, getattr(inv, attr)) for k, (_, inv) in enumerate(batch) for attr, kind in _SOFTWARE_PARTS
        if len(getattr(inv, attr))]
    if not parts:
        return _SW_SCHEMA.empty_table()
    lists = [c for _, _, c in parts]
    ends = pa.array(list(accumulate(map(len, lists))), pa.int32())
    installed = tuple(chain.from_iterable(c.installed_at for c in lists))
    times = pa.nulls(len(installed), _TS) if installed.count(None) == len(installed) else pa.array(installed, _TS)
    strings = [pa.array(tuple(chain.from_iterable(getattr(c, f) for c in lists)), pa.string()) for f in _SW_STRINGS]

    def runs(values: list[int], kind: pa.DataType) -> pa.Array:
        return pc.run_end_decode(pa.RunEndEncodedArray.from_arrays(ends, pa.array(values, kind)))

    keys = [runs([k for k, _, _ in parts], pa.int32()), runs([kind for _, kind, _ in parts], pa.int8())]
    return pa.Table.from_arrays([*keys, *strings, times], schema=_SW_SCHEMA)


def _line(prefix: str = "") -> str:
    """The checksum line of a row, "pkg_source\tname\tarch\tversion" (report.proto, HostSnapshot)."""
    p = f"{prefix}." if prefix else ""
    return f"{p}pkg_source || chr(9) || {p}name || chr(9) || {p}arch || chr(9) || {p}version"


_ROUND_TEMPS = ("r_pairs", "r_cur", "r_after")

# Fingerprint of a list of rows of one (subject, pkg_source): "count:sum of row hashes". It only
# decides "same list as last time?", cheaply (no sort, no string materialised): equal lists give
# equal fingerprints, and the row diff runs whenever they differ. DuckDB's hash() may change
# between DuckDB versions; a stored fingerprint then fails to match once, and the next snapshot
# is diffed in full.
_FP_ROWS = "count({p}name)::VARCHAR || ':' || coalesce(sum(hash({p}name, {p}version, {p}arch)), 0)::VARCHAR"

# Every (update, pkg_source) pair the round touches (sources with rows, and complete sources),
# with the fingerprint of what the update lists there and whether it lists duplicates.
# `unchanged`: a snapshot's complete source listing exactly the rows open now; nothing to do.
_ROUND_PAIRS = f"""
    CREATE OR REPLACE TEMP TABLE r_pairs AS
    WITH listed AS (
        SELECT inv, pkg_source, count(*)::VARCHAR || ':' || coalesce(sum(h), 0)::VARCHAR AS fp,
               count(*) > count(DISTINCT h) AS dups
        FROM (SELECT inv, pkg_source, hash(name, version, arch) AS h FROM inc_sw WHERE kind <> {_REMOVED})
        GROUP BY inv, pkg_source),
    complete AS (SELECT inv, unnest(complete) AS pkg_source FROM inc_inv),
    pairs AS (SELECT inv, pkg_source FROM listed
              UNION SELECT DISTINCT inv, pkg_source FROM inc_sw WHERE kind = {_REMOVED}
              UNION SELECT inv, pkg_source FROM complete)
    SELECT p.inv, i.subject, p.pkg_source, c.pkg_source IS NOT NULL AS complete, i.is_delta,
           coalesce(l.fp, '0:0') AS incoming, coalesce(l.dups, false) AS dups,
           coalesce(NOT i.is_delta AND c.pkg_source IS NOT NULL AND st.checksum = coalesce(l.fp, '0:0'),
                    false) AS unchanged
    FROM pairs p
    JOIN inc_inv i USING (inv)
    LEFT JOIN complete c USING (inv, pkg_source)
    LEFT JOIN listed l USING (inv, pkg_source)
    LEFT JOIN inventory_state st ON st.subject = i.subject AND st.pkg_source = p.pkg_source"""

_ROUND_DIFF = (
    # Open rows of the pairs to diff, each marked with whether this update closes it: one pass over
    # software_installs restricted by a join on this round's (subject, pkg_source) pairs, never the
    # whole history. Only complete sources close anything (a failed collector is not "removed"): a
    # snapshot closes what it no longer lists; a delta closes what it says was removed (by name,
    # arch and source) and the other versions of what it says changed. Both sides are joined
    # grouped by their key, so an open row stays one row whatever an update lists twice.
    """CREATE OR REPLACE TEMP TABLE r_cur AS
        SELECT s.rowid AS rid, p.inv, s.pkg_source, s.name, s.version, s.arch,
               p.complete AND CASE WHEN p.is_delta THEN {delta_closes} ELSE l.inv IS NULL END AS closes
        FROM software_installs s
        JOIN (SELECT inv, subject, pkg_source, complete, is_delta FROM r_pairs WHERE NOT unchanged) p
          ON s.subject = p.subject AND s.pkg_source = p.pkg_source
        LEFT JOIN {listed} l
          ON l.inv = p.inv AND l.name = s.name AND l.version = s.version AND l.arch = s.arch
         AND l.pkg_source = s.pkg_source
        {delta_join}
        WHERE s.removed_at IS NULL""",
    """UPDATE software_installs SET removed_at = x.seen_at, removed_report_id = x.report_id
        FROM (SELECT c.rid, i.seen_at, i.report_id FROM r_cur c JOIN inc_inv i USING (inv) WHERE c.closes) x
        WHERE software_installs.rowid = x.rid""",
)
# What the deltas say was removed or changed, one row per (name, arch, source): only joined when the
# round has deltas (a join costs its probe even when nothing can match).
_DELTA_JOIN = f"""LEFT JOIN (SELECT inv, name, arch, pkg_source, bool_or(kind = {_REMOVED}) AS removed,
                          min(version) FILTER (WHERE kind = {_CHANGED}) AS low,
                          max(version) FILTER (WHERE kind = {_CHANGED}) AS high
                   FROM inc_sw WHERE kind <> {_LISTED} GROUP BY ALL) d
          ON d.inv = p.inv AND d.name = s.name AND d.arch = s.arch AND d.pkg_source = s.pkg_source"""
_DELTA_CLOSES = "coalesce(d.removed OR d.low <> s.version OR d.high <> s.version, false)"
# What the snapshots list, one row per identity: inc_sw itself when no update lists a row twice.
_LISTED_PLAIN = f"(SELECT inv, name, version, arch, pkg_source FROM inc_sw WHERE kind = {_LISTED})"
_LISTED_DISTINCT = f"(SELECT DISTINCT inv, name, version, arch, pkg_source FROM inc_sw WHERE kind = {_LISTED})"

# New rows: listed or changed items with no open row of the same identity (after the closes).
# `{rows}` is inc_sw itself, or (when an update lists something twice) inc_sw collapsed to one
# row per identity, where a given value wins over an empty one.
_ROUND_INSERT = f"""
    INSERT INTO software_installs
    SELECT i.subject, i.source_id, t.name, t.version, t.arch, t.pkg_source, nullif(t.vendor, ''),
           nullif(t.source_package, ''), nullif(t.purl, ''), t.installed_at, i.seen_at, NULL, i.report_id, NULL
    FROM {{rows}} t
    SEMI JOIN (SELECT inv, pkg_source FROM r_pairs WHERE NOT unchanged) p
      ON p.inv = t.inv AND p.pkg_source = t.pkg_source
    ANTI JOIN (SELECT * FROM r_cur WHERE NOT closes) c
      ON c.inv = t.inv AND c.name = t.name AND c.version = t.version AND c.arch = t.arch
     AND c.pkg_source = t.pkg_source
    JOIN inc_inv i USING (inv)
    WHERE t.kind <> {_REMOVED}"""
# The same when no open row of a diffed pair stays open and no unchanged pair lists rows: nothing
# listed is left out.
_ROUND_INSERT_ALL = f"""
    INSERT INTO software_installs
    SELECT i.subject, i.source_id, t.name, t.version, t.arch, t.pkg_source, nullif(t.vendor, ''),
           nullif(t.source_package, ''), nullif(t.purl, ''), t.installed_at, i.seen_at, NULL, i.report_id, NULL
    FROM {{rows}} t
    JOIN inc_inv i USING (inv)
    WHERE t.kind <> {_REMOVED}"""
# Open rows of the diffed pairs that stay open.
_KEPT = "SELECT count(*) FROM r_cur WHERE NOT closes"
_ROWS_PLAIN = "inc_sw"
_ROWS_COLLAPSED = f"""(
    SELECT inv, min(kind) AS kind, name, version, arch, pkg_source, max(vendor) AS vendor,
           max(source_package) AS source_package, max(purl) AS purl, min(installed_at) AS installed_at
    FROM inc_sw WHERE kind <> {_REMOVED} GROUP BY inv, name, version, arch, pkg_source)"""

# Fingerprints of the open rows after the update, where they are not simply the snapshot's own
# list: deltas, and sources whose collector did not complete (their rows only grow).
_ROUND_AFTER = f"""
    CREATE OR REPLACE TEMP TABLE r_after AS
    SELECT p.inv, p.subject, p.pkg_source, {_FP_ROWS.format(p="s.")} AS fp
    FROM r_pairs p
    LEFT JOIN software_installs s
      ON s.subject = p.subject AND s.pkg_source = p.pkg_source AND s.removed_at IS NULL
    WHERE NOT p.unchanged AND (p.is_delta OR NOT p.complete)
    GROUP BY p.inv, p.subject, p.pkg_source"""

_STATE_UPSERT = """ON CONFLICT (subject, pkg_source) DO UPDATE SET last_ok_at = excluded.last_ok_at,
    last_report_id = excluded.last_report_id, checksum = excluded.checksum"""

# Complete sources: last complete collection, and the fingerprint of their open rows. Sources
# that did not complete keep their last complete collection, but their fingerprint follows the
# rows they added.
_ROUND_STATE = (
    """INSERT INTO inventory_state
        SELECT p.subject, p.pkg_source, i.seen_at, i.report_id, CASE WHEN p.is_delta THEN a.fp ELSE p.incoming END
        FROM r_pairs p JOIN inc_inv i USING (inv)
        LEFT JOIN r_after a USING (inv, pkg_source)
        WHERE p.complete
        """ + _STATE_UPSERT,
    """UPDATE inventory_state SET checksum = a.fp
        FROM r_after a JOIN r_pairs p USING (inv, pkg_source)
        WHERE NOT p.complete AND inventory_state.subject = a.subject AND inventory_state.pkg_source = a.pkg_source""",
)
# The same when the round has no deltas and every source completed (no r_after): the usual case,
# saving a temp table and a statement per round, which cost even with nothing to do.
_ROUND_STATE_SNAPSHOTS = """
    INSERT INTO inventory_state
    SELECT p.subject, p.pkg_source, i.seen_at, i.report_id, p.incoming
    FROM r_pairs p JOIN inc_inv i USING (inv)
    WHERE p.complete
    """ + _STATE_UPSERT

# Each delta's checksum against ours: SHA-256 over the sorted lines of the open rows of its
# subject for the sources it lists as complete, exactly as the agent hashes its own list
# (report.proto, HostDelta.software_checksum).
_DELTA_CHECK = f"""
    SELECT i.report_id, i.checksum, sha256(coalesce(string_agg(s.line, chr(10) ORDER BY s.line), ''))
    FROM inc_inv i
    LEFT JOIN (SELECT subject, pkg_source, {_line()} AS line FROM software_installs WHERE removed_at IS NULL) s
      ON s.subject = i.subject AND list_contains(i.complete, s.pkg_source)
    WHERE i.is_delta
    GROUP BY i.report_id, i.checksum"""

_SIGHTING_COLUMNS = ("hostname", "fqdn", "serial", "system_uuid", "vendor", "model", "device_type", "os",
                     "os_family", "seen_via_ip", "seen_via_name", "seen_via_port", "bound_mac",
                     "firmware")


def _sightings_table(pairs: Sequence[tuple[IngestReport, Sighting]]) -> pa.Table:
    """Sightings as Arrow columns (empty strings stored as NULL, as the views expect)."""
    sightings = [s for _, s in pairs]
    data: dict[str, Any] = {
        "report_id": [r.report_id for r, _ in pairs], "source_id": [r.source_id for r, _ in pairs],
        "method": [s.method for s in sightings], "seen_at": [s.seen_at for s in sightings],
        "subject": [s.subject for s in sightings],
        "ips": [list(s.ips) for s in sightings], "macs": [list(s.macs) for s in sightings],
        "local_macs": [list(s.local_macs) for s in sightings], "networks": [list(s.networks) for s in sightings],
        "vlan": [s.vlan or None for s in sightings],
        "detail": [s.detail or None for s in sightings],
    }
    for name in _SIGHTING_COLUMNS:
        data[name] = [getattr(s, name) or None for s in sightings]
    return pa.table({f.name: pa.array(data[f.name], f.type) for f in _SIGHTING_SCHEMA}, schema=_SIGHTING_SCHEMA)

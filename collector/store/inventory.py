"""The inventory tables: what the refresh use case reads (subjects, records, coverage) and writes
(assets, the findings lifecycle), as the inventory core's own values.

Part of the store adapter (collector/store/duckdb.py calls these with its own cursor or inside its
own transaction; nothing here opens a connection or hands one out). Reads come back as Arrow
columns rather than row tuples, and writes go in as Arrow tables applied with set-based SQL.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from collector.domain.findings import Evidence, FindingRow
from collector.domain.posture import Posture
from collector.inventory.identity import ResolvedAsset, SubjectFacts
from collector.inventory.reconcile import Coverage, Match, Record

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _times(micros: Sequence[int | None]) -> list[datetime | None]:
    """Epoch microseconds → aware UTC datetimes.

    Fetched as BIGINT (`epoch_us`) because DuckDB's own TIMESTAMPTZ → datetime conversion goes
    through the session time zone value by value: at 150,000 subjects it cost more than resolving them.
    """
    cache: dict[int, datetime] = {}
    out: list[datetime | None] = []
    for us in micros:
        if us is None:
            out.append(None)
            continue
        t = cache.get(us)
        if t is None:
            t = cache[us] = _EPOCH + timedelta(microseconds=us)
        out.append(t)
    return out


def _columns(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> dict[str, list[Any]]:
    """Run one of our queries and hand back its columns as Python lists (Arrow, not row tuples)."""
    columns: dict[str, list[Any]] = cur.sql(sql, params=list(params) or None).to_arrow_table().to_pydict()
    return columns


# Keeps the first occurrence of every non-empty value (the lists are most recent first).
_DISTINCT = "list_filter({0}, lambda x, i: x <> '' AND list_position({0}, x) = i)"

# The evidence line of one (subject, source, method): what was seen, where from, how often.
_EVIDENCE_DETAIL = """
    CASE WHEN method = 'agent' THEN 'agent report from ' || what || times
         WHEN method IN ('snmp-arp-cache', 'snmp-fdb', 'snmp-lldp', 'agent-neighbour') THEN
              what || ' in the ' || CASE method WHEN 'snmp-arp-cache' THEN 'ARP cache'
                                                WHEN 'snmp-fdb' THEN 'forwarding table'
                                                WHEN 'snmp-lldp' THEN 'LLDP neighbours'
                                                ELSE 'neighbour table' END
              || ' of ' || coalesce(nullif(via_name, ''), nullif(via_ip, ''), '')
              || CASE WHEN coalesce(via_port, '') <> '' THEN ' port ' || via_port ELSE '' END
              || CASE WHEN coalesce(vlan, 0) <> 0 THEN ' vlan ' || vlan ELSE '' END || times
         ELSE method || ' saw ' || what
              || CASE WHEN bound_mac IS NOT NULL THEN ', l2-bound to ' || bound_mac || ' (it answered '
                      || coalesce(bound_by, 'arp') || ' for that address in the same sweep)' ELSE '' END
              || times END"""

_SUBJECTS_SQL = f"""
    WITH per_source AS (
        SELECT subject, source_id, method, max(seen_at) AS seen_at,
               arg_max(ips[1], seen_at) AS ip, arg_max(coalesce(macs[1], local_macs[1]), seen_at) AS mac,
               arg_max(hostname, seen_at) AS hostname, arg_max(seen_via_ip, seen_at) AS via_ip,
               arg_max(seen_via_name, seen_at) AS via_name, arg_max(seen_via_port, seen_at) AS via_port,
               arg_max(vlan, seen_at) AS vlan, count(*) AS n,
               arg_max(bound_mac, seen_at) FILTER (WHERE bound_mac IS NOT NULL) AS bound_mac,
               arg_max(json_extract_string(detail, '$.l2_binding.learnt_by'), seen_at)
                   FILTER (WHERE bound_mac IS NOT NULL) AS bound_by
        FROM sightings GROUP BY ALL
    ), evidence AS (
        SELECT subject,
               list(source_id ORDER BY seen_at DESC, source_id, method) AS ev_source,
               list(method ORDER BY seen_at DESC, source_id, method) AS ev_method,
               list(epoch_us(seen_at) ORDER BY seen_at DESC, source_id, method) AS ev_at,
               list(detail ORDER BY seen_at DESC, source_id, method) AS ev_detail
        FROM (SELECT *, {_EVIDENCE_DETAIL} AS detail
              FROM (SELECT *, concat_ws(' ', nullif(hostname, ''), nullif(ip, ''),
                                        '(' || nullif(mac, '') || ')') AS what,
                           CASE WHEN n > 1 THEN ', ' || n || ' sightings' ELSE '' END AS times
                    FROM per_source))
        GROUP BY subject
    ), lonely_ips AS (  -- addresses of 'ip:' subjects that carry nothing else: IP-at-time needs their holders
        SELECT DISTINCT unnest(ips) AS ip FROM (
            SELECT subject, flatten(list(ips)) AS ips FROM sightings WHERE subject LIKE 'ip:%' GROUP BY subject
            HAVING bool_and(coalesce(hostname, '') = '' AND coalesce(len(macs), 0) = 0
                            AND coalesce(serial, '') = '' AND coalesce(system_uuid, '') = ''))
    ), ip_seen AS (
        SELECT subject, list(ip ORDER BY ip) AS ip_addr, list(first ORDER BY ip) AS ip_first,
               list(last ORDER BY ip) AS ip_last
        FROM (SELECT subject, ip, epoch_us(min(seen_at)) AS first, epoch_us(max(seen_at)) AS last
              FROM (SELECT subject, seen_at, unnest(ips) AS ip FROM sightings)
              WHERE ip IN (SELECT ip FROM lonely_ips) GROUP BY ALL)
        GROUP BY subject
    ), facts AS (
        SELECT subject, epoch_us(min(seen_at)) AS first_seen, epoch_us(max(seen_at)) AS last_seen,
               list(hostname ORDER BY seen_at DESC) FILTER (WHERE hostname IS NOT NULL) AS hostnames,
               flatten(list(ips ORDER BY seen_at DESC)) AS ips,
               flatten(list(macs ORDER BY seen_at DESC)) AS macs,
               flatten(list(local_macs ORDER BY seen_at DESC)) AS local_macs,
               list(bound_mac ORDER BY seen_at DESC) FILTER (WHERE bound_mac IS NOT NULL) AS bound_macs,
               list(serial ORDER BY seen_at DESC) FILTER (WHERE serial IS NOT NULL) AS serials,
               list(system_uuid ORDER BY seen_at DESC) FILTER (WHERE system_uuid IS NOT NULL) AS uuids,
               arg_max(vendor, seen_at) FILTER (WHERE vendor IS NOT NULL) AS vendor,
               arg_max(model, seen_at) FILTER (WHERE model IS NOT NULL) AS model,
               arg_max(device_type, seen_at) FILTER (WHERE device_type IS NOT NULL) AS device_type,
               arg_max(os, seen_at) FILTER (WHERE os IS NOT NULL) AS os,
               arg_max(os_family, seen_at) FILTER (WHERE os_family IS NOT NULL) AS os_family,
               arg_max(firmware, seen_at) FILTER (WHERE firmware IS NOT NULL) AS firmware,
               list_sort(list(DISTINCT source_id || ':' || method)) AS sources
        FROM sightings GROUP BY subject
    )
    SELECT f.subject, f.first_seen, f.last_seen,
           {_DISTINCT.format("f.hostnames")} AS hostnames, {_DISTINCT.format("f.ips")} AS ips,
           {_DISTINCT.format("f.macs")} AS macs, {_DISTINCT.format("f.serials")} AS serials,
           {_DISTINCT.format("f.uuids")} AS uuids,
           coalesce(f.vendor, '') AS vendor, coalesce(f.model, '') AS model,
           coalesce(f.device_type, '') AS device_type, coalesce(f.os, '') AS os,
           coalesce(f.os_family, '') AS os_family, coalesce(f.firmware, '') AS firmware, f.sources,
           f.subject IN (SELECT subject FROM software_installs WHERE removed_at IS NULL) AS has_software,
           e.ev_source, e.ev_method, e.ev_at, e.ev_detail, i.ip_addr, i.ip_first, i.ip_last,
           {_DISTINCT.format("f.local_macs")} AS local_macs, {_DISTINCT.format("f.bound_macs")} AS bound_macs
    FROM facts f LEFT JOIN evidence e USING (subject) LEFT JOIN ip_seen i USING (subject)
    ORDER BY f.subject"""


# The same aggregation over the sightings and installs of some subjects only (the live path,
# collector/inventory/live.py): one SQL text, so a subset is aggregated exactly as the whole.
_SOME_SUBJECTS = "(SELECT subject FROM live_subjects)"
_SUBJECTS_OF_SOME_SQL = _SUBJECTS_SQL.replace(
    "FROM sightings", f"FROM (SELECT * FROM sightings WHERE subject IN {_SOME_SUBJECTS}) sightings").replace(
    "FROM software_installs WHERE removed_at IS NULL",
    f"FROM software_installs WHERE removed_at IS NULL AND subject IN {_SOME_SUBJECTS}")


def load_subjects(cur: duckdb.DuckDBPyConnection, subjects: Collection[str] | None = None) -> list[SubjectFacts]:
    """Aggregate sightings per subject, with per-source evidence (all in one SQL pass; see _SUBJECTS_SQL).

    Deduplication, evidence wording and the time-zone-free timestamps are done by DuckDB so that
    Python only assembles the SubjectFacts: at 100,000 machines the row-by-row version took longer
    than resolution and reconciliation together. With `subjects`, only those (in subject order, as
    the whole): a subject's facts depend on its own sightings, except the addresses kept for
    IP-at-time, which depend on the address-only subjects among `subjects` (the caller includes them).
    """
    if subjects is None:
        table = cur.sql(_SUBJECTS_SQL).to_arrow_table()
    else:
        cur.register("live_subjects", pa.table({"subject": pa.array(sorted(subjects), pa.string())}))
        try:
            table = cur.sql(_SUBJECTS_OF_SOME_SQL).to_arrow_table()
        finally:
            cur.unregister("live_subjects")
    c = table.to_pydict()
    # Evidence times for all subjects in one conversion, then sliced per subject.
    ev_at = table.column("ev_at").combine_chunks()
    ev_times, ev_offsets = _times(ev_at.values.to_pylist()), ev_at.offsets.to_pylist()
    facts = []
    for n, (subject, first, last, hostnames, ips, macs, serials, uuids, vendor, model, device_type, os,
            os_family, sources, has_software, ev_source, ev_method, ev_detail, ip_addr) in enumerate(zip(
            c["subject"], _times(c["first_seen"]), _times(c["last_seen"]), c["hostnames"], c["ips"], c["macs"],
            c["serials"], c["uuids"], c["vendor"], c["model"], c["device_type"], c["os"], c["os_family"],
            c["sources"], c["has_software"], c["ev_source"], c["ev_method"], c["ev_detail"], c["ip_addr"],
            strict=True)):
        evidence = tuple(zip(ev_source, ev_method, ev_times[ev_offsets[n]:ev_offsets[n + 1]], ev_detail,
                             strict=True)) if ev_source else ()
        ip_seen = tuple(zip(ip_addr, _times(c["ip_first"][n]), _times(c["ip_last"][n]),
                            strict=True)) if ip_addr else ()
        local_macs, bound_macs = c["local_macs"][n], c["bound_macs"][n]
        facts.append(SubjectFacts(
            subject, first, last, tuple(hostnames or ()), tuple(ips or ()), tuple(macs or ()),
            tuple(serials or ()), tuple(uuids or ()), vendor, model, device_type, os, os_family,
            tuple(sources or ()), bool(has_software), evidence, ip_seen,  # type: ignore[arg-type]
            tuple(local_macs) if local_macs else (), tuple(bound_macs) if bound_macs else (),
            firmware=c["firmware"][n]))
    return facts


def load_records(cur: duckdb.DuckDBPyConnection) -> list[Record]:
    """The recorded inventory, with the file and time of the import each row came from."""
    c = _columns(cur, """
        SELECT r.register, r.record_key, r.line, coalesce(r.asset_tag, '') AS asset_tag, coalesce(r.name, '') AS name,
               coalesce(r.serial, '') AS serial, coalesce(r.hostname, '') AS hostname, r.macs, r.ips,
               coalesce(r.model, '') AS model, coalesce(r.status, '') AS status, r.status_class,
               coalesce(r.assigned_to, '') AS assigned_to, i.filename, epoch_us(i.imported_at) AS imported_at
        FROM recorded_assets r JOIN register_imports i USING (import_id) ORDER BY r.register, r.line""")
    imported = _times(c["imported_at"])
    return [
        Record(register, key, line, tag, name, serial, hostname, tuple(macs or ()), tuple(ips or ()), model, status,
               status_class, assigned_to, filename, at)
        for register, key, line, tag, name, serial, hostname, macs, ips, model, status, status_class, assigned_to,
        filename, at in zip(c["register"], c["record_key"], c["line"], c["asset_tag"], c["name"], c["serial"],
                            c["hostname"], c["macs"], c["ips"], c["model"], c["status"], c["status_class"],
                            c["assigned_to"], c["filename"], imported, strict=True)
    ]


def load_coverage(cur: duckdb.DuckDBPyConnection, agents: Collection[str] | None = None) -> list[Coverage]:
    """Completed sweeps and agent reports: what could have seen a recorded machine, and when.

    Of an agent's reports with the same networks only the newest five and the oldest are loaded: a
    ghost cites at most the five newest runs that covered it, and the oldest says since when its
    networks have been looked at (a never-seen record is unseen since then). With `agents`, the
    sweeps and the reports of those agent sources only (the live path replaces their share; the runs
    are chosen per source, so one source's share depends on its reports alone).
    """
    # Name the scanner by the host it enrolled from: people know "scan-01", not a UUID.
    s = _columns(cur, """
        SELECT s.source_id, s.methods, epoch_us(s.finished_at) AS finished_at, s.targets,
               coalesce(src.hostname, '') AS scanner, epoch_us(s.started_at) AS started_at
        FROM scan_runs s LEFT JOIN sources src USING (source_id) WHERE s.complete""")
    out = [
        Coverage(source=source, method="scan:" + ",".join(methods), at=at,  # finished_at is NOT NULL
                 networks=tuple(targets), detail=f"sweep of {', '.join(targets[:3])} by {scanner or source}",
                 started=started if started is not None and started <= at else None)
        for source, methods, at, targets, scanner, started in zip(
            s["source_id"], s["methods"], _times(s["finished_at"]), s["targets"], s["scanner"],
            _times(s["started_at"]), strict=True)
    ]
    c = _columns(cur, """
        SELECT source_id, hostname, epoch_us(seen_at) AS seen_at, networks FROM sightings WHERE method = 'agent'
          AND (? OR source_id IN (SELECT unnest(?::VARCHAR[])))
        QUALIFY row_number() OVER (PARTITION BY source_id, hostname, networks ORDER BY seen_at DESC) <= 5
             OR row_number() OVER (PARTITION BY source_id, hostname, networks ORDER BY seen_at) = 1
        ORDER BY seen_at DESC, source_id""", [agents is None, sorted(agents or ())])
    out += [
        Coverage(source=source, method="agent", at=at, networks=tuple(networks or ()),  # type: ignore[arg-type]
                 detail=f"the agent on {hostname or source}")
        for source, hostname, at, networks in zip(c["source_id"], c["hostname"], _times(c["seen_at"]), c["networks"],
                                                  strict=True)
    ]
    return out


_ASSET_SCHEMA = pa.schema([
    ("asset_id", pa.string()), ("hostnames", pa.list_(pa.string())), ("ips", pa.list_(pa.string())),
    ("macs", pa.list_(pa.string())), ("vendor", pa.string()), ("serial", pa.string()), ("system_uuid", pa.string()),
    ("model", pa.string()), ("device_type", pa.string()), ("os", pa.string()), ("os_family", pa.string()),
    ("first_seen", pa.timestamp("us", tz="UTC")), ("last_seen", pa.timestamp("us", tz="UTC")),
    ("sources", pa.list_(pa.string())), ("register", pa.string()), ("record_key", pa.string()),
    ("matched_by", pa.string()), ("has_software_inventory", pa.bool_()), ("firmware", pa.string()),
    # Posture (migration 009), from the asset's freshest agent report: NULL where unknown.
    ("posture_reported_at", pa.timestamp("us", tz="UTC")), ("pending_security_updates", pa.int32()),
    ("oldest_pending_since", pa.timestamp("us", tz="UTC")), ("pending_updates", pa.list_(pa.string())),
    ("disk_encrypted", pa.bool_()), ("firewall_active", pa.bool_()), ("firewalls", pa.list_(pa.string())),
    ("endpoint_protection", pa.list_(pa.string())),
    ("listening", pa.list_(pa.string())),
])


def write_assets(cur: duckdb.DuckDBPyConnection, assets: Sequence[ResolvedAsset], matched: Mapping[str, Match],
                 posture: Mapping[str, Posture] | None = None) -> None:
    """Replace the assets and asset_members tables (built column by column: 100,000 rows).

    `posture`: asset_id -> its agent's posture (collector/inventory/posture.py). Runs inside the
    caller's transaction.
    """
    table, members = _asset_tables(assets, matched, posture)
    cur.register("new_assets", table)
    cur.register("new_members", members)
    for target, source, key in (("assets", "new_assets", "asset_id"), ("asset_members", "new_members", "subject")):
        cur.execute(_REPLACE_CHANGED.format(target=target, source=source, key=key))
        cur.execute(_INSERT_MISSING.format(target=target, source=source, key=key))
    cur.unregister("new_assets")
    cur.unregister("new_members")


def _asset_tables(assets: Sequence[ResolvedAsset], matched: Mapping[str, Match],
                  posture: Mapping[str, Posture] | None) -> tuple[pa.Table, pa.Table]:
    """The assets and asset_members rows of `assets` (with their posture), as Arrow tables."""
    links = [matched.get(a.asset_id) for a in assets]
    held = [(posture or {}).get(a.asset_id) for a in assets]
    table = pa.table([
        [a.asset_id for a in assets], [a.hostnames for a in assets], [a.ips for a in assets],
        [a.macs for a in assets], [a.vendor or None for a in assets], [a.serial or None for a in assets],
        [a.uuids[0] if a.uuids else None for a in assets], [a.model or None for a in assets],
        [a.device_type or None for a in assets], [a.os or None for a in assets],
        [a.os_family or None for a in assets], [a.first_seen for a in assets], [a.last_seen for a in assets],
        [a.sources for a in assets], [m.record.register if m else None for m in links],
        [m.record.record_key if m else None for m in links], [m.key if m else None for m in links],
        [a.has_software for a in assets], [a.firmware or None for a in assets],
        [p.reported_at if p else None for p in held],
        [len(p.pending_updates) if p and p.pending_updates is not None else None for p in held],
        [p.oldest_pending_since if p else None for p in held],
        [list(p.pending_updates) if p and p.pending_updates is not None else None for p in held],
        [p.disk_encrypted if p else None for p in held], [p.firewall_active if p else None for p in held],
        [list(p.firewalls) if p and p.firewalls is not None else None for p in held],
        [list(p.endpoint_protection) if p and p.endpoint_protection is not None else None for p in held],
        [list(p.listening) if p and p.listening is not None else None for p in held]], schema=_ASSET_SCHEMA)
    members = pa.table([
        [s for a in assets for s in a.members], [a.asset_id for a in assets for _ in a.members],
        [a.matched_by.get(s, "anchor") for a in assets for s in a.members]],
        schema=pa.schema([("subject", pa.string()), ("asset_id", pa.string()), ("matched_by", pa.string())]))
    return table, members


def write_asset_changes(cur: duckdb.DuckDBPyConnection, assets: Sequence[ResolvedAsset], matched: Mapping[str, Match],
                        gone: Collection[str], subjects: Collection[str],
                        posture: Mapping[str, Posture] | None = None) -> None:
    """Rewrite the rows of `assets` (new or changed), drop the assets `gone`, and make the members
    of `subjects` those `assets` give them (the live path: only what one update changed).

    Runs inside the caller's transaction; the rows are built as write_assets builds them.
    """
    ids = pa.table({"asset_id": pa.array(sorted({*gone, *(a.asset_id for a in assets)}), pa.string())})
    cur.register("live_asset_ids", ids)
    cur.register("live_member_subjects", pa.table({"subject": pa.array(sorted(subjects), pa.string())}))
    try:
        cur.execute("DELETE FROM assets WHERE asset_id IN (SELECT asset_id FROM live_asset_ids)")
        cur.execute("DELETE FROM asset_members WHERE subject IN (SELECT subject FROM live_member_subjects)")
    finally:
        cur.unregister("live_asset_ids")
        cur.unregister("live_member_subjects")
    table, members = _asset_tables(assets, matched, posture)
    members = members.filter(pc.is_in(members.column("subject"),
                                              value_set=pa.array(list(subjects), pa.string())))
    cur.register("new_assets", table)
    cur.register("new_members", members)
    try:
        cur.execute("INSERT INTO assets SELECT * FROM new_assets")
        cur.execute("INSERT INTO asset_members SELECT * FROM new_members")
    finally:
        cur.unregister("new_assets")
        cur.unregister("new_members")


# Make `target` hold exactly the rows of `source` by rewriting only rows that changed: deleting and
# re-inserting every primary key in one transaction costs DuckDB seconds at 100,000 rows (its index
# keeps both versions), while most assets and findings are the same as at the last refresh.
_REPLACE_CHANGED = """DELETE FROM {target} WHERE {key} IN (
    SELECT {key} FROM (SELECT * FROM {target} EXCEPT SELECT * FROM {source}))"""
_INSERT_MISSING = "INSERT INTO {target} SELECT * FROM {source} WHERE {key} NOT IN (SELECT {key} FROM {target})"


_FINDING_COLUMNS = (
    "finding_id", "kind", "severity", "asset_id", "register", "record_key", "hostname", "ip", "mac", "serial",
    "asset_tag", "status", "status_class", "rule_id", "software_name", "software_version", "first_seen",
    "last_seen", "evidence", "summary", "suppressed", "suppression", "opened_at", "resolved_at", "updated_at",
)


def open_finding_times(cur: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """finding_id -> opened_at of every finding still open."""
    c = _columns(cur, "SELECT finding_id, epoch_us(opened_at) AS opened_at FROM findings WHERE resolved_at IS NULL")
    return {fid: at for fid, at in zip(c["finding_id"], _times(c["opened_at"]), strict=True) if at is not None}


def window_finding_times(cur: duckdb.DuckDBPyConnection, window: timedelta) -> dict[str, datetime]:
    """finding_id -> opened_at of the findings that came up at the last query with ghost window `window`."""
    c = _columns(cur, "SELECT finding_id, epoch_us(opened_at) AS opened_at FROM findings_windowed "
                      "WHERE ghost_after_s = ?", [int(window.total_seconds())])
    return {fid: at for fid, at in zip(c["finding_id"], _times(c["opened_at"]), strict=True) if at is not None}


def keep_window_findings(cur: duckdb.DuckDBPyConnection, window: timedelta, rows: Sequence[FindingRow]) -> None:
    """Make the findings of window `window` these (their opened_at as given); runs in the caller's transaction."""
    seconds = int(window.total_seconds())
    table = pa.table({"finding_id": pa.array([r.finding_id for r in rows], pa.string()),
                      "opened_at": pa.array([r.opened_at for r in rows], pa.timestamp("us", tz="UTC"))})
    cur.register("window_findings", table)
    try:
        cur.execute("DELETE FROM findings_windowed WHERE ghost_after_s = ? AND finding_id NOT IN "
                    "(SELECT finding_id FROM window_findings)", [seconds])
        cur.execute("INSERT INTO findings_windowed SELECT ?, finding_id, opened_at FROM window_findings "
                    "WHERE opened_at IS NOT NULL AND finding_id NOT IN "
                    "(SELECT finding_id FROM findings_windowed WHERE ghost_after_s = ?)", [seconds, seconds])
    finally:
        cur.unregister("window_findings")


def _evidence_json(evidence: Sequence[Evidence]) -> str:
    # The stored text is compared (EXCEPT) with what earlier refreshes stored: keep its exact form.
    return json.dumps([{"source": e.source, "method": e.method, "seen_at": e.seen_at, "detail": e.detail}
                       for e in evidence], default=str)


def persist_findings(cur: duckdb.DuckDBPyConnection, rows: Sequence[FindingRow], now: datetime) -> None:
    """Update the lifecycle: keep opened_at of still-open findings, reopen, resolve what went away.

    Runs inside the caller's transaction; `rows` carry their opened_at already (open_finding_times).
    """
    cur.register("current_findings", _findings_table(rows, now))
    resolving = "finding_id NOT IN (SELECT finding_id FROM current_findings)"
    count_days(cur, now, resolving)
    _record_events(cur, now, resolving=resolving)
    cur.execute("UPDATE findings SET resolved_at = ?, updated_at = ? WHERE resolved_at IS NULL AND "
                "finding_id NOT IN (SELECT finding_id FROM current_findings)", [now, now])
    # Rewrite only findings whose content changed (new, reopened, new evidence): see _REPLACE_CHANGED.
    content = ", ".join("evidence::VARCHAR" if c == "evidence" else c for c in _FINDING_COLUMNS[:-1])
    cur.execute(f"""DELETE FROM findings WHERE finding_id IN (SELECT finding_id FROM (
                    SELECT {content} FROM current_findings EXCEPT SELECT {content} FROM findings))""")
    cur.execute(f"""INSERT INTO findings SELECT {', '.join(_FINDING_COLUMNS)} FROM current_findings
                    WHERE finding_id NOT IN (SELECT finding_id FROM findings)""")
    cur.execute("UPDATE findings SET updated_at = ? WHERE finding_id IN (SELECT finding_id FROM current_findings)",
                [now])
    cur.unregister("current_findings")


def persist_finding_changes(cur: duckdb.DuckDBPyConnection, changed: Sequence[FindingRow], resolved: Collection[str],
                            now: datetime) -> None:
    """The live path's part of persist_findings: (re)write the findings in `changed` (new, reopened,
    new content) and resolve the open findings `resolved`; rows nobody changed are left alone. The
    finding_events are the ones persist_findings writes for the same change.

    Runs inside the caller's transaction. `changed` rows carry their opened_at already.
    """
    if resolved:
        cur.register("live_resolved", pa.table({"finding_id": pa.array(sorted(resolved), pa.string())}))
        try:
            resolving = "finding_id IN (SELECT finding_id FROM live_resolved)"
            count_days(cur, now, resolving, opened=False)
            _record_events(cur, now, opening=False, resolving=resolving)
            cur.execute("UPDATE findings SET resolved_at = ?, updated_at = ? WHERE resolved_at IS NULL AND "
                        "finding_id IN (SELECT finding_id FROM live_resolved)", [now, now])
        finally:
            cur.unregister("live_resolved")
    if not changed:
        return
    cur.register("current_findings", _findings_table(changed, now))
    try:
        count_days(cur, now, "", resolved=False)
        _record_events(cur, now)  # opened, reopened, (un)suppressed: compared with the rows before the write
        cur.execute("DELETE FROM findings WHERE finding_id IN (SELECT finding_id FROM current_findings)")
        cur.execute(f"INSERT INTO findings SELECT {', '.join(_FINDING_COLUMNS)} FROM current_findings")
    finally:
        cur.unregister("current_findings")


def count_days(cur: duckdb.DuckDBPyConnection, now: datetime, resolving: str, *, opened: bool = True,
               resolved: bool = True) -> None:
    """Add this write's events to finding_days (migration 012): the rows of `current_findings` that
    open now (new or reopened: their opened_at is `now`), and the open findings that `resolving` (an SQL
    condition on findings) resolves. Runs in the writer's transaction, before the findings change.
    """
    day = now.astimezone(UTC).date()
    if opened:
        cur.execute("""INSERT INTO finding_days SELECT ?, kind, suppressed, count(*), 0 FROM current_findings
                       WHERE opened_at = ? GROUP BY ALL
                       ON CONFLICT (day, kind, suppressed)
                       DO UPDATE SET opened = finding_days.opened + excluded.opened""",
                    [day, now])
    if resolved:
        cur.execute(f"""INSERT INTO finding_days SELECT ?, kind, suppressed, 0, count(*) FROM findings
                        WHERE resolved_at IS NULL AND {resolving} GROUP BY ALL
                        ON CONFLICT (day, kind, suppressed)
                        DO UPDATE SET resolved = finding_days.resolved + excluded.resolved""", [day])


def _findings_table(rows: Sequence[FindingRow], now: datetime) -> pa.Table:
    """`rows` as the findings table's columns (updated_at = now)."""
    columns: dict[str, list[Any]] = {c: [getattr(row, c) for row in rows] for c in _FINDING_COLUMNS[:-1]}
    columns["evidence"] = [_evidence_json(row.evidence) for row in rows]
    columns["updated_at"] = [now] * len(rows)
    return pa.table(columns, schema=pa.schema([
        (c, pa.timestamp("us", tz="UTC") if c in ("first_seen", "last_seen", "opened_at", "resolved_at", "updated_at")
         else pa.bool_() if c == "suppressed" else pa.string()) for c in _FINDING_COLUMNS]))


# What changes between the stored findings and `current_findings`, as finding_events rows (schema
# 011): the findings table keeps one row per finding and overwrites its times when it reopens, so the
# history lives beside it. Every statement compares the two tables as they are before the update.
# The resolved statement takes the SQL condition (on findings) of what this write resolves: the
# open findings missing from `current_findings` for a refresh, the live-resolved ids for an update.
_OPEN_EVENTS = (
    """INSERT INTO finding_events
       SELECT c.finding_id, $now, CASE WHEN f.finding_id IS NULL THEN 'opened' ELSE 'reopened' END,
              c.kind, c.severity, c.asset_id, c.summary
       FROM current_findings c LEFT JOIN findings f USING (finding_id)
       WHERE f.finding_id IS NULL OR f.resolved_at IS NOT NULL""",
    """INSERT INTO finding_events
       SELECT c.finding_id, $now, CASE WHEN c.suppressed THEN 'suppressed' ELSE 'unsuppressed' END,
              c.kind, c.severity, c.asset_id, CASE WHEN c.suppressed THEN c.suppression ELSE c.summary END
       FROM current_findings c LEFT JOIN findings f USING (finding_id)
       WHERE ((f.finding_id IS NULL OR f.resolved_at IS NOT NULL) AND c.suppressed)
          OR (f.resolved_at IS NULL AND f.finding_id IS NOT NULL AND c.suppressed <> f.suppressed)""",
)
_RESOLVED_EVENTS = """INSERT INTO finding_events
       SELECT finding_id, $now, 'resolved', kind, severity, asset_id, summary FROM findings
       WHERE resolved_at IS NULL AND {resolving}"""


def _record_events(cur: duckdb.DuckDBPyConnection, now: datetime, *, opening: bool = True,
                   resolving: str | None = None) -> None:
    """Append this write's events: with `opening`, the opened, reopened and (un)suppressed ones of the
    rows in `current_findings`; with `resolving` (an SQL condition on findings), the resolved ones."""
    for sql in _OPEN_EVENTS if opening else ():
        cur.execute(sql, {"now": now})
    if resolving is not None:
        cur.execute(_RESOLVED_EVENTS.format(resolving=resolving), {"now": now})


_TIME_COLUMNS = ("first_seen", "last_seen", "opened_at", "resolved_at")


def resolved_findings(cur: duckdb.DuckDBPyConnection) -> list[FindingRow]:
    """Findings that were open once and are no longer true, most recently resolved first."""
    c = _columns(cur, "SELECT " + ", ".join(
        f"epoch_us({name}) AS {name}" if name in _TIME_COLUMNS else name for name in _FINDING_COLUMNS[:-1])
        + " FROM findings WHERE resolved_at IS NOT NULL ORDER BY resolved_at DESC, finding_id")
    for name in _TIME_COLUMNS:
        c[name] = _times(c[name])
    c["evidence"] = [_evidence_from_json(text) for text in c["evidence"]]
    return [FindingRow(**dict(zip(c, values, strict=True))) for values in zip(*c.values(), strict=True)]


def _evidence_from_json(text: str | None) -> tuple[Evidence, ...]:
    """The stored evidence (written by _evidence_json: times as str(datetime)) back as values."""
    return tuple(
        Evidence(source=str(ev.get("source", "")), method=str(ev.get("method", "")),
                 seen_at=datetime.fromisoformat(ev["seen_at"]) if ev.get("seen_at") else None,
                 detail=str(ev.get("detail", "")))
        for ev in json.loads(text or "[]"))

"""Findings and assets for the CLI and the Query service: load, resolve, reconcile, persist.

`refresh()` is the one place the pure core meets the store: it loads aggregated sightings,
resolves identities (identity.py), reconciles against the register (reconcile.py), evaluates
rules, and — when asked to — persists assets and the findings lifecycle (opened_at / resolved_at).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from collector.identity import ResolvedAsset, SubjectFacts, resolve
from collector.reconcile import SEVERITY_ORDER, Coverage, Finding, Record, reconcile
from collector.store.duckdb import Store

RuleEvaluator = Callable[[Store, datetime, Mapping[str, ResolvedAsset]], list[Finding]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The outcome of one refresh."""

    assets: list[ResolvedAsset]
    findings: list[dict[str, Any]]
    records: dict[str, Record]          # asset_id -> matched record


def _dedupe(values: Sequence[Any] | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v) for v in (values or []) if v))


def load_subjects(store: Store) -> list[SubjectFacts]:
    """Aggregate sightings per subject, with per-source evidence."""
    evidence: dict[str, list[tuple[str, str, datetime, str]]] = {}
    for row in store.query("""
        SELECT subject, source_id, method, max(seen_at) AS seen_at,
               arg_max(ips[1], seen_at) AS ip, arg_max(coalesce(macs[1], local_macs[1]), seen_at) AS mac,
               arg_max(hostname, seen_at) AS hostname, arg_max(seen_via_ip, seen_at) AS via_ip,
               arg_max(seen_via_name, seen_at) AS via_name, arg_max(seen_via_port, seen_at) AS via_port,
               arg_max(vlan, seen_at) AS vlan, count(*) AS n
        FROM sightings GROUP BY ALL"""):
        evidence.setdefault(row["subject"], []).append(
            (row["source_id"], row["method"], row["seen_at"], _evidence_detail(row)))
    with_software = {r["subject"] for r in store.query(
        "SELECT DISTINCT subject FROM software_installs WHERE removed_at IS NULL")}
    facts = []
    for row in store.query("""
        SELECT subject, min(seen_at) AS first_seen, max(seen_at) AS last_seen,
               list(hostname ORDER BY seen_at DESC) FILTER (WHERE hostname IS NOT NULL) AS hostnames,
               flatten(list(ips ORDER BY seen_at DESC)) AS ips,
               flatten(list(macs ORDER BY seen_at DESC)) AS macs,
               list(serial ORDER BY seen_at DESC) FILTER (WHERE serial IS NOT NULL) AS serials,
               list(system_uuid ORDER BY seen_at DESC) FILTER (WHERE system_uuid IS NOT NULL) AS uuids,
               arg_max(vendor, seen_at) FILTER (WHERE vendor IS NOT NULL) AS vendor,
               arg_max(model, seen_at) FILTER (WHERE model IS NOT NULL) AS model,
               arg_max(device_type, seen_at) FILTER (WHERE device_type IS NOT NULL) AS device_type,
               arg_max(os, seen_at) FILTER (WHERE os IS NOT NULL) AS os,
               arg_max(os_family, seen_at) FILTER (WHERE os_family IS NOT NULL) AS os_family,
               list(DISTINCT source_id || ':' || method) AS sources
        FROM sightings GROUP BY subject ORDER BY subject"""):
        facts.append(SubjectFacts(
            subject=row["subject"], first_seen=row["first_seen"], last_seen=row["last_seen"],
            hostnames=_dedupe(row["hostnames"]), ips=_dedupe(row["ips"]), macs=_dedupe(row["macs"]),
            serials=_dedupe(row["serials"]), uuids=_dedupe(row["uuids"]), vendor=row["vendor"] or "",
            model=row["model"] or "", device_type=row["device_type"] or "", os=row["os"] or "",
            os_family=row["os_family"] or "", sources=tuple(sorted(row["sources"] or [])),
            has_software=row["subject"] in with_software, evidence=tuple(evidence.get(row["subject"], [])),
        ))
    return facts


def _evidence_detail(row: dict[str, Any]) -> str:
    method, ip, mac, host = row["method"], row["ip"] or "", row["mac"] or "", row["hostname"] or ""
    what = " ".join(p for p in (host, ip, f"({mac})" if mac else "") if p)
    via = row["via_name"] or row["via_ip"] or ""
    port = f" port {row['via_port']}" if row["via_port"] else ""
    vlan = f" vlan {row['vlan']}" if row["vlan"] else ""
    times = f", {row['n']} sightings" if row["n"] > 1 else ""
    if method == "agent":
        return f"agent report from {what}{times}"
    if method in ("snmp-arp-cache", "snmp-fdb", "snmp-lldp", "agent-neighbour"):
        table = {"snmp-arp-cache": "ARP cache", "snmp-fdb": "forwarding table", "snmp-lldp": "LLDP neighbours",
                 "agent-neighbour": "neighbour table"}[method]
        return f"{what} in the {table} of {via}{port}{vlan}{times}"
    return f"{method} saw {what}{times}"


def load_records(store: Store) -> list[Record]:
    """The recorded inventory, with the file and time of the import each row came from."""
    return [
        Record(register=r["register"], record_key=r["record_key"], line=r["line"], asset_tag=r["asset_tag"] or "",
               name=r["name"] or "", serial=r["serial"] or "", hostname=r["hostname"] or "",
               macs=tuple(r["macs"] or ()), ips=tuple(r["ips"] or ()), model=r["model"] or "",
               status=r["status"] or "", status_class=r["status_class"], assigned_to=r["assigned_to"] or "",
               filename=r["filename"], imported_at=r["imported_at"])
        for r in store.query("""
            SELECT r.*, i.filename, i.imported_at FROM recorded_assets r
            JOIN register_imports i USING (import_id) ORDER BY r.register, r.line""")
    ]


def load_coverage(store: Store) -> list[Coverage]:
    """Completed sweeps and agent reports: what could have seen a recorded machine, and when."""
    out = [
        Coverage(source=r["source_id"], method="scan:" + ",".join(r["methods"]), at=r["finished_at"],
                 networks=tuple(r["targets"]), detail=f"sweep of {', '.join(r['targets'][:3])} by {r['source_id']}")
        for r in store.query("SELECT * FROM scan_runs WHERE complete")
    ]
    out += [
        Coverage(source=r["source_id"], method="agent", at=r["seen_at"], networks=tuple(r["networks"] or ()),
                 detail=f"the agent on {r['hostname'] or r['source_id']}")
        for r in store.query("SELECT source_id, hostname, seen_at, networks FROM sightings WHERE method = 'agent'")
    ]
    return out


def _oui_vendor(mac: str) -> str:
    """Vendor from the IEEE OUI registry that netaddr ships."""
    try:
        from netaddr import EUI, NotRegisteredError

        return str(EUI(mac).oui.registration().org)
    except (NotRegisteredError, ValueError, IndexError, ImportError):
        return ""


def refresh(
    store: Store,
    *,
    now: datetime,
    ghost_after: timedelta,
    rules: RuleEvaluator | None = None,
    persist: bool = True,
) -> Snapshot:
    """Resolve, reconcile and evaluate rules; persist assets and the findings lifecycle if asked."""
    assets = resolve(load_subjects(store))
    for a in assets:
        if not a.vendor and a.macs:
            a.vendor = _oui_vendor(a.macs[0])
    records = load_records(store)
    findings, matches = reconcile(assets, records, load_coverage(store), now=now, ghost_after=ghost_after)
    matched = {m.asset.asset_id: m for m in matches}
    if not store.read_only:
        _write_assets(store, assets, matched)  # the rules engine reads them; they do not depend on the window
    if rules is not None:
        findings += rules(store, now, {a.asset_id: a for a in assets})
    rows = [_finding_row(f, matched) for f in findings]
    if persist and not store.read_only:
        rows = _persist_findings(store, rows, now)
    else:
        rows = _attach_lifecycle(store, rows, now)
    rows.sort(key=lambda r: (-SEVERITY_ORDER.index(r["severity"]), r["kind"], r["hostname"] or "", r["finding_id"]))
    return Snapshot(assets=assets, findings=rows, records={k: m.record for k, m in matched.items()})


def _finding_row(f: Finding, matched: dict[str, Any]) -> dict[str, Any]:
    a, r = f.asset, f.record
    if r is None and a is not None and a.asset_id in matched:
        r = matched[a.asset_id].record
    return {
        "finding_id": f.finding_id, "kind": f.kind, "severity": f.severity,
        "asset_id": a.asset_id if a else None,
        "hostname": (a.hostnames[0] if a and a.hostnames else None) or (r.hostname if r and r.hostname else None),
        "ip": (a.ips[0] if a and a.ips else None) or (r.ips[0] if r and r.ips else None),
        "mac": (a.macs[0] if a and a.macs else None) or (r.macs[0] if r and r.macs else None),
        "serial": (a.serial if a and a.serial else None) or (r.serial if r and r.serial else None),
        "asset_tag": r.asset_tag or None if r else None, "status": r.status or None if r else None,
        "status_class": r.status_class if r else None, "rule_id": f.rule_id or None,
        "software_name": f.software_name or None, "software_version": f.software_version or None,
        "first_seen": f.first_seen, "last_seen": f.last_seen, "evidence": f.evidence, "summary": f.summary,
        "suppressed": f.suppressed, "suppression": f.suppression or None,
        "register": r.register if r else None, "record_key": r.record_key if r else None,
    }


_ASSET_SCHEMA = pa.schema([
    ("asset_id", pa.string()), ("hostnames", pa.list_(pa.string())), ("ips", pa.list_(pa.string())),
    ("macs", pa.list_(pa.string())), ("vendor", pa.string()), ("serial", pa.string()), ("system_uuid", pa.string()),
    ("model", pa.string()), ("device_type", pa.string()), ("os", pa.string()), ("os_family", pa.string()),
    ("first_seen", pa.timestamp("us", tz="UTC")), ("last_seen", pa.timestamp("us", tz="UTC")),
    ("sources", pa.list_(pa.string())), ("register", pa.string()), ("record_key", pa.string()),
    ("matched_by", pa.string()), ("has_software_inventory", pa.bool_()),
])


def _write_assets(store: Store, assets: Sequence[ResolvedAsset], matched: dict[str, Any]) -> None:
    table = pa.Table.from_pylist([
        {"asset_id": a.asset_id, "hostnames": a.hostnames, "ips": a.ips, "macs": a.macs, "vendor": a.vendor or None,
         "serial": a.serial or None, "system_uuid": a.uuids[0] if a.uuids else None, "model": a.model or None,
         "device_type": a.device_type or None, "os": a.os or None, "os_family": a.os_family or None,
         "first_seen": a.first_seen, "last_seen": a.last_seen, "sources": a.sources,
         "register": matched[a.asset_id].record.register if a.asset_id in matched else None,
         "record_key": matched[a.asset_id].record.record_key if a.asset_id in matched else None,
         "matched_by": matched[a.asset_id].key if a.asset_id in matched else None,
         "has_software_inventory": a.has_software}
        for a in assets], schema=_ASSET_SCHEMA)
    members = pa.Table.from_pylist(
        [{"subject": s, "asset_id": a.asset_id, "matched_by": a.matched_by.get(s, "anchor")}
         for a in assets for s in a.members],
        schema=pa.schema([("subject", pa.string()), ("asset_id", pa.string()), ("matched_by", pa.string())]))
    with store.transaction() as cur:
        cur.register("new_assets", table)
        cur.register("new_members", members)
        cur.execute("DELETE FROM assets")
        cur.execute("INSERT INTO assets SELECT * FROM new_assets")
        cur.execute("DELETE FROM asset_members")
        cur.execute("INSERT INTO asset_members SELECT * FROM new_members")
        cur.unregister("new_assets")
        cur.unregister("new_members")


_FINDING_COLUMNS = (
    "finding_id", "kind", "severity", "asset_id", "register", "record_key", "hostname", "ip", "mac", "serial",
    "asset_tag", "status", "status_class", "rule_id", "software_name", "software_version", "first_seen",
    "last_seen", "evidence", "summary", "suppressed", "suppression", "opened_at", "resolved_at", "updated_at",
)


def _attach_lifecycle(store: Store, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Without persisting: open findings keep the opened_at already on record, new ones open now."""
    known = {r["finding_id"]: r for r in store.query(
        "SELECT finding_id, opened_at FROM findings WHERE resolved_at IS NULL")}
    for row in rows:
        prior = known.get(row["finding_id"])
        row["opened_at"] = prior["opened_at"] if prior else now
        row["resolved_at"] = None
    return rows


def _persist_findings(store: Store, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Update the lifecycle: keep opened_at of still-open findings, reopen, resolve what went away."""
    rows = _attach_lifecycle(store, rows, now)
    table = pa.Table.from_pylist([
        {**{c: row.get(c) for c in _FINDING_COLUMNS},
         "evidence": json.dumps(row["evidence"], default=str), "updated_at": now}
        for row in rows
    ], schema=pa.schema([
        (c, pa.timestamp("us", tz="UTC") if c in ("first_seen", "last_seen", "opened_at", "resolved_at", "updated_at")
         else pa.bool_() if c == "suppressed" else pa.string()) for c in _FINDING_COLUMNS]))
    with store.transaction() as cur:
        cur.register("current_findings", table)
        cur.execute("UPDATE findings SET resolved_at = ?, updated_at = ? WHERE resolved_at IS NULL AND "
                    "finding_id NOT IN (SELECT finding_id FROM current_findings)", [now, now])
        cur.execute("DELETE FROM findings WHERE finding_id IN (SELECT finding_id FROM current_findings)")
        cur.execute(f"INSERT INTO findings SELECT {', '.join(_FINDING_COLUMNS)} FROM current_findings")
        cur.unregister("current_findings")
    return rows


def resolved_findings(store: Store) -> list[dict[str, Any]]:
    """Findings that were open once and are no longer true."""
    rows = store.query("SELECT * FROM findings WHERE resolved_at IS NOT NULL ORDER BY resolved_at DESC")
    for row in rows:
        row["evidence"] = json.loads(row["evidence"] or "[]")
    return rows


def asset_rows(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Assets in the JSON shape of the contract (DESIGN.md, `assets --format json`)."""
    out = []
    for a in sorted(snapshot.assets, key=lambda a: (a.hostnames[0] if a.hostnames else "~", a.ips[:1], a.asset_id)):
        r = snapshot.records.get(a.asset_id)
        out.append({
            "asset_id": a.asset_id, "hostnames": a.hostnames, "ips": a.ips, "macs": a.macs,
            "vendor": a.vendor or None, "serial": a.serial or None, "model": a.model or None,
            "device_type": a.device_type or None, "os": a.os or None, "first_seen": a.first_seen,
            "last_seen": a.last_seen, "sources": a.sources, "asset_tag": r.asset_tag or None if r else None,
            "status": r.status or None if r else None, "matched_by": None if r is None else next(
                (k for k in ("serial", "mac", "hostname") if _matches(r, a, k)), None),
            "system_uuid": a.uuids[0] if a.uuids else None,
        })
    return out


def _matches(r: Record, a: ResolvedAsset, key: str) -> bool:
    if key == "serial":
        return bool(r.serial) and r.serial in a.serials
    if key == "mac":
        return bool(set(r.macs) & set(a.macs))
    return bool(r.hostname) and r.hostname in a.hostnames

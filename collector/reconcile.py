"""Reconciliation: observed assets × recorded inventory × coverage × now → findings (pure).

Verdicts, per DESIGN.md's status classes:

* ghost — an in-use record with no sighting inside the ghost window, *and* a source that should
  have seen it ran inside that window (a sweep of its subnet or an agent on that subnet when the
  record has an address; any source when it has none). No coverage, no ghost: an unswept subnet
  is unknown, not empty. With ghost_after = 0, "inside the window" means "ever".
* zombie — an asset active inside the window that no record matches (medium), or whose record is
  retired (high) or lost/stolen (critical).
* mismatch — a record in stock / pending / in repair whose asset is active (medium); a matched
  record whose serial, host name, MAC or model disagrees with what was seen (low).
* duplicate — one record matching several assets, or several records matching one asset.

Records match assets by serial, then MAC, then host name; the key that matched is kept.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collector.identity import ResolvedAsset

SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Record:
    """A recorded asset as reconciliation needs it."""

    register: str
    record_key: str
    line: int
    asset_tag: str
    name: str
    serial: str
    hostname: str
    macs: tuple[str, ...]
    ips: tuple[str, ...]
    model: str
    status: str
    status_class: str
    assigned_to: str
    filename: str
    imported_at: datetime


@dataclass(frozen=True, slots=True)
class Coverage:
    """A source run that could have seen things: a sweep's targets or an agent's own networks."""

    source: str
    method: str
    at: datetime
    networks: tuple[str, ...]    # CIDRs or single addresses
    detail: str


@dataclass(slots=True)
class Finding:
    """One verdict with its evidence (JSON-shaped by query.py)."""

    kind: str
    severity: str
    summary: str
    asset: ResolvedAsset | None = None
    record: Record | None = None
    evidence: list[dict[str, object]] = field(default_factory=list)
    rule_id: str = ""
    software_name: str = ""
    software_version: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    suppressed: bool = False
    suppression: str = ""

    @property
    def finding_id(self) -> str:
        """Same kind, subject and rule → same id, so the lifecycle can follow it across runs."""
        parts = [self.kind, self.rule_id, self.software_name]
        if self.record is not None:
            parts += [self.record.register, self.record.record_key]
        if self.asset is not None and (self.record is None or self.kind == "duplicate"):
            parts.append(self.asset.asset_id)
        return "f-" + hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Match:
    """A record matched to an asset, and by which key."""

    record: Record
    asset: ResolvedAsset
    key: str


def match_records(assets: Sequence[ResolvedAsset],
                  records: Sequence[Record]) -> tuple[list[Match], list[Match], list[Finding]]:
    """Match records to assets by serial > MAC > host name; conflicts become duplicate findings.

    Returns (one match per asset, every record's match, duplicate findings): a record that lost the
    asset to a better-matching record still matched it, so it is no ghost.
    """
    by_key: dict[str, dict[str, list[ResolvedAsset]]] = {k: defaultdict(list) for k in ("serial", "mac", "hostname")}
    for a in assets:
        for serial in a.serials:
            by_key["serial"][serial].append(a)
        for mac in a.macs:
            by_key["mac"][mac].append(a)
        for hostname in a.hostnames:
            by_key["hostname"][hostname].append(a)
    matches: list[Match] = []
    findings: list[Finding] = []
    for r in records:
        for key, values in (("serial", [r.serial]), ("mac", list(r.macs)), ("hostname", [r.hostname])):
            candidates = {a.asset_id: a for v in values if v for a in by_key[key].get(v, [])}
            if not candidates:
                continue
            ranked = sorted(candidates.values(), key=lambda a: a.last_seen, reverse=True)
            matches.append(Match(r, ranked[0], key))
            if len(ranked) > 1:
                ids = ", ".join(a.asset_id for a in ranked)
                findings.append(Finding(
                    kind="duplicate", severity="medium", record=r, asset=ranked[0],
                    summary=f"Record {_label(r)} matches {len(ranked)} observed assets by {key} ({ids}); "
                            "they may be one machine seen twice or a copied identifier.",
                    evidence=[_record_evidence(r)] + [ev for a in ranked for ev in _asset_evidence(a)[:1]],
                    first_seen=min(a.first_seen for a in ranked), last_seen=ranked[0].last_seen))
            break
    per_asset: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        per_asset[m.asset.asset_id].append(m)
    kept: list[Match] = []
    for group in per_asset.values():
        group.sort(key=lambda m: (("serial", "mac", "hostname").index(m.key), m.record.line))
        kept.append(group[0])
        if len(group) > 1:
            labels = ", ".join(_label(m.record) for m in group)
            findings.append(Finding(
                kind="duplicate", severity="medium", record=group[0].record, asset=group[0].asset,
                summary=f"Observed asset {_asset_label(group[0].asset)} matches {len(group)} records ({labels}); "
                        "the register holds it more than once.",
                evidence=[_record_evidence(m.record) for m in group] + _asset_evidence(group[0].asset)[:1],
                first_seen=group[0].asset.first_seen, last_seen=group[0].asset.last_seen))
    return kept, matches, findings


def reconcile(
    assets: Sequence[ResolvedAsset],
    records: Sequence[Record],
    coverage: Sequence[Coverage],
    *,
    now: datetime,
    ghost_after: timedelta,
) -> tuple[list[Finding], list[Match]]:
    """All inventory findings (ghost, zombie, mismatch, duplicate) and the matches behind them."""
    window_start = now - ghost_after if ghost_after > timedelta(0) else None
    matches, every_match, findings = match_records(assets, records)
    matched_assets = {m.asset.asset_id for m in matches}
    primary = {(m.record.register, m.record.record_key) for m in matches}
    match_by_record = {(m.record.register, m.record.record_key): m for m in every_match}

    def active(a: ResolvedAsset) -> bool:
        return window_start is None or a.last_seen >= window_start

    keyed_ips = {ip for a in assets if not a.address_only and active(a) for ip in a.ips}
    for r in records:
        m = match_by_record.get((r.register, r.record_key))
        if r.status_class == "in-use":
            if m is None or not active(m.asset):
                ghost = _ghost(r, m, coverage, window_start, now)
                if ghost is not None:
                    findings.append(ghost)
            elif m is not None and (r.register, r.record_key) in primary:
                findings.extend(_attribute_mismatches(m))
            continue
        if (r.register, r.record_key) not in primary:
            continue  # its asset is judged through the record that matched it best
        if m is None or not active(m.asset):
            continue
        a = m.asset
        if r.status_class == "in-stock":
            findings.append(Finding(
                kind="mismatch", severity="medium", record=r, asset=a,
                summary=f"{_label(r)} is recorded as {r.status!r} (not in use) but {_asset_label(a)} "
                        f"was active on the network at {_t(a.last_seen)}.",
                evidence=[_record_evidence(r), *_asset_evidence(a)], first_seen=a.first_seen, last_seen=a.last_seen))
        elif r.status_class in ("retired", "lost"):
            severity = "critical" if r.status_class == "lost" else "high"
            findings.append(Finding(
                kind="zombie", severity=severity, record=r, asset=a,
                summary=f"{_label(r)} is recorded as {r.status!r} but {_asset_label(a)} was active on the "
                        f"network at {_t(a.last_seen)} (matched by {m.key}).",
                evidence=[_record_evidence(r), *_asset_evidence(a)], first_seen=a.first_seen, last_seen=a.last_seen))
    for a in assets:
        if a.asset_id in matched_assets or not active(a):
            continue
        if a.address_only and set(a.ips) & keyed_ips:
            continue  # an address that a known machine holds: the same machine seen without a key
        findings.append(Finding(
            kind="zombie", severity="medium", asset=a,
            summary=f"{_asset_label(a)} is active on the network (last seen {_t(a.last_seen)}) "
                    "but is not in the asset register.",
            evidence=_asset_evidence(a), first_seen=a.first_seen, last_seen=a.last_seen))
    return findings, matches


def _ghost(r: Record, m: Match | None, coverage: Sequence[Coverage], window_start: datetime | None,
           now: datetime) -> Finding | None:
    last_seen = m.asset.last_seen if m else None
    covering = [c for c in coverage if (window_start is None or c.at >= window_start)
                and (last_seen is None or c.at > last_seen) and _covers(c, r.ips)]
    if not covering:
        return None
    latest = max(covering, key=lambda c: c.at)
    since = f"since {_t(last_seen)}" if last_seen else "by any source"
    where = f" at {', '.join(r.ips)}" if r.ips else ""
    return Finding(
        kind="ghost", severity="medium", record=r, asset=m.asset if m else None,
        summary=f"{_label(r)}{where} is recorded as {r.status!r} but has not been seen {since}; "
                f"{latest.detail} ran at {_t(latest.at)} without seeing it.",
        evidence=[_record_evidence(r)] + [
            {"source": c.source, "method": c.method, "seen_at": c.at, "detail": f"covered by {c.detail}, not seen"}
            for c in sorted(covering, key=lambda c: c.at, reverse=True)[:5]],
        first_seen=m.asset.first_seen if m else None, last_seen=last_seen)


@functools.lru_cache(maxsize=65536)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


@functools.lru_cache(maxsize=262144)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _covers(c: Coverage, ips: Sequence[str]) -> bool:
    """A record without an address is covered by any run; one with an address by a run over it."""
    if not ips:
        return True
    for ip_text in ips:
        ip = _address(ip_text)
        if ip is None:
            continue
        for net_text in c.networks:
            net = _network(net_text)
            if net is not None and ip.version == net.version and ip in net:
                return True
    return False


def _attribute_mismatches(m: Match) -> list[Finding]:
    r, a = m.record, m.asset
    problems: list[str] = []
    if r.serial and a.serials and r.serial not in a.serials:
        problems.append(f"serial recorded {r.serial}, seen {a.serial}")
    if r.hostname and a.hostnames and r.hostname != a.hostnames[0]:  # compare with the current name
        problems.append(f"host name recorded {r.hostname}, seen {a.hostnames[0]}")
    if r.macs and a.macs and not set(r.macs) & set(a.macs):
        problems.append(f"MAC recorded {', '.join(r.macs)}, seen {', '.join(a.macs[:3])}")
    if r.model and a.model and not _same_model(r.model, a.model):
        problems.append(f"model recorded {r.model!r}, seen {a.model!r}")
    if not problems:
        return []
    return [Finding(
        kind="mismatch", severity="low", record=r, asset=a,
        summary=f"{_label(r)} matched {_asset_label(a)} by {m.key}, but " + "; ".join(problems) + ".",
        evidence=[_record_evidence(r), *_asset_evidence(a)], first_seen=a.first_seen, last_seen=a.last_seen)]


def _same_model(recorded: str, seen: str) -> bool:
    """Registers and firmware spell models differently ("Latitude 7440" vs "Dell Latitude 7440")."""
    x, y = (" ".join(s.lower().split()) for s in (recorded, seen))
    return x in y or y in x


def _label(r: Record) -> str:
    name = r.asset_tag or r.name or r.serial or r.record_key
    host = f" ({r.hostname})" if r.hostname and r.hostname != name else ""
    return f"{name}{host}"


def _asset_label(a: ResolvedAsset) -> str:
    parts = [a.hostnames[0] if a.hostnames else "", a.ips[0] if a.ips else "", a.macs[0] if a.macs else ""]
    return " / ".join(p for p in parts if p) or a.asset_id


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _record_evidence(r: Record) -> dict[str, object]:
    assigned = f", assigned to {r.assigned_to}" if r.assigned_to else ""
    return {"source": f"register:{r.filename}", "method": "register", "seen_at": r.imported_at,
            "detail": f"line {r.line}: {r.status}{assigned}"}


def _asset_evidence(a: ResolvedAsset) -> list[dict[str, object]]:
    return [{"source": src, "method": method, "seen_at": at, "detail": detail}
            for src, method, at, detail in a.evidence]

"""Reconciliation: observed assets × recorded inventory × coverage × now → findings (pure).

Verdicts, per DESIGN.md's status classes:

* ghost — an in-use record that has gone unseen for at least the ghost window while sources that
  should have seen it were looking (a sweep of its subnet or an agent on that subnet when the
  record has an address; any source when it has none), and one of them ran inside the window
  without seeing it. "Unseen since" is its last sighting, or for a record never seen the first
  run that covered it: absence is measured from when we started to look, so a first sweep makes
  no ghosts at 14d (README "Ghost window"). With ghost_after = 0 a sweep that started after the
  last sighting (any covering run at all, for a never-seen record) makes it a ghost: the first
  audit. No coverage, no ghost: an unswept subnet is unknown, not empty.
* zombie — an asset active inside the window that no record matches (medium), or whose record is
  retired (high) or lost/stolen (critical).
* mismatch — a record in stock / pending / in repair whose asset is active (medium); a matched
  record whose serial, host name, MAC or model disagrees with what was seen (low).
* possible-duplicate — two assets kept apart that share a strong signal (serial, UUID, one register
  record, a host name in the same period), or several records matching one asset; one detector for
  all of them, with every reason: collector/inventory/duplicates.py.
* identity-conflict (high) — an agent claimed a serial or UUID that another agent, reporting at the
  same time, already held (identity.py keeps the two apart, so the claimant cannot add software to the
  holder's asset); names both sources, both assets, the identifier and since when. Reported while
  either agent is active inside the window.

Records match assets by serial, then MAC, then host name; the key that matched is kept. A switch
reporting hundreds of MACs on one port is no finding of its own: they are separate hosts, and the
port is in each one's evidence.

Performance: 100,000 records × 100,000 assets must reconcile in well under a second, so assets are
indexed once per key, coverage is indexed once by network (a ghost check is a few dictionary
look-ups per address, not a scan of every sweep and agent run), and nothing is sorted that has
fewer than two entries.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import socket
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from operator import attrgetter

from collector.domain.findings import Evidence
from collector.inventory.duplicates import POSSIBLE_DUPLICATE, PossibleDuplicate, find_duplicates
from collector.inventory.identity import IdentityConflict, ResolvedAsset


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
    # When the run began (a sweep's start; None = `at`). A sweep that saw a machine finishes after its
    # sighting, so only a run that *began* after the last sighting ran without seeing it.
    started: datetime | None = None

    @property
    def began(self) -> datetime:
        """The start of the run (its end when the start is unknown, as for an agent's report)."""
        return self.started or self.at


@dataclass(slots=True)
class Finding:
    """One verdict with its evidence: which source (or register line, or rule) said what, and when."""

    kind: str
    severity: str
    summary: str
    asset: ResolvedAsset | None = None
    record: Record | None = None
    evidence: tuple[Evidence, ...] = ()
    rule_id: str = ""
    software_name: str = ""
    software_version: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    suppressed: bool = False
    suppression: str = ""
    identifier: str = ""        # what tells apart findings of one kind on one asset (identity-conflict, duplicates)
    duplicate: PossibleDuplicate | None = None  # possible-duplicate findings: the pair and its reasons

    @property
    def finding_id(self) -> str:
        """Same kind, subject and rule → same id, so the lifecycle can follow it across runs."""
        parts = [self.kind, self.rule_id, self.software_name]
        if self.record is not None:
            parts += [self.record.register, self.record.record_key]
        if self.asset is not None and (self.record is None or self.kind == POSSIBLE_DUPLICATE):
            parts.append(self.asset.asset_id)
        if self.identifier:
            parts.append(self.identifier)
        return "f-" + hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Match:
    """A record matched to an asset, and by which key."""

    record: Record
    asset: ResolvedAsset
    key: str


_Index = dict[str, ResolvedAsset | list[ResolvedAsset]]


def _by_value(index: _Index, assets: Sequence[ResolvedAsset],
              values: Callable[[ResolvedAsset], list[str]]) -> _Index:
    """`index` ({value: asset} over `assets` in order) with each value several assets share made a list of them.

    Shared values are rare, so the caller builds the plain dictionary in one comprehension (no
    (value, asset) pairs) and only when it came out shorter than the values are the pairs rebuilt.
    """
    if len(index) < sum(map(len, map(values, assets))):
        pairs = [(v, a) for a in assets for v in values(a)]
        shared = {v for v, n in Counter(v for v, _ in pairs).items() if n > 1}
        for v in shared:
            index[v] = []
        for v, a in pairs:
            if v in shared:
                held = index[v]
                assert isinstance(held, list)
                held.append(a)
    return index


def _asset_index(assets: Sequence[ResolvedAsset]) -> tuple[_Index, _Index, _Index]:
    """serial / MAC / host name → the asset(s) carrying it; a list only where several do."""
    return (_by_value({v: a for a in assets for v in a.serials}, assets, attrgetter("serials")),
            _by_value({v: a for a in assets for v in a.macs}, assets, attrgetter("macs")),
            _by_value({v: a for a in assets for v in a.hostnames}, assets, attrgetter("hostnames")))


def _last_seen(a: ResolvedAsset) -> datetime:
    return a.last_seen


RecordOnMany = tuple[Record, list[ResolvedAsset], str]
RecordsOnOne = tuple[ResolvedAsset, list[Record]]
SharedNames = dict[str, list[ResolvedAsset]]


def match_records(assets: Sequence[ResolvedAsset], records: Sequence[Record]
                  ) -> tuple[list[Match], list[Match], list[RecordOnMany], list[RecordsOnOne], SharedNames]:
    """Match records to assets by serial > MAC > host name, and say where the match was not one to one.

    Returns (one match per asset, every record's match, each record that matched several assets with
    them and the key, each asset that several records matched with them, each host name several
    assets carry with them): a record that lost the asset to a better-matching record still matched
    it, so it is no ghost. The last three are signals of possible duplicates (duplicates.py); the
    host names come from the index built here anyway, which saves the detector a pass over every asset.
    """
    by_serial, by_mac, by_host = _asset_index(assets)
    serial_of, mac_of, host_of = by_serial.get, by_mac.get, by_host.get
    matches: list[Match] = []
    append = matches.append
    on_many: list[RecordOnMany] = []
    for r in records:
        # The first key with any hit decides (serial > MAC > host name); most records have one
        # value per key and it names one asset, so that case is looked up and matched inline.
        serial, macs, hostname = r.serial, r.macs, r.hostname
        held: ResolvedAsset | list[ResolvedAsset] | None
        if serial and (held := serial_of(serial)) is not None:
            key = "serial"
        elif len(macs) == 1 and macs[0] and (held := mac_of(macs[0])) is not None:
            key = "mac"
        elif len(macs) > 1 and (held := [a for v in macs if v and (h := mac_of(v)) is not None
                                         for a in (h if isinstance(h, list) else (h,))]):
            key = "mac"  # several MACs: every asset any of them names, in the record's MAC order
        elif hostname and (held := host_of(hostname)) is not None:
            key = "hostname"
        else:
            continue
        if not isinstance(held, list):
            append(Match(r, held, key))
            continue
        candidates = {a.asset_id: a for a in held}
        ranked = sorted(candidates.values(), key=_last_seen, reverse=True)
        append(Match(r, ranked[0], key))
        if len(ranked) > 1:
            on_many.append((r, ranked, key))
    per_asset: dict[str, Match | list[Match]] = {}
    matched = per_asset.get
    for m in matches:
        asset_id = m.asset.asset_id
        held_match = matched(asset_id)
        if held_match is None:
            per_asset[asset_id] = m
        elif isinstance(held_match, list):
            held_match.append(m)
        else:
            per_asset[asset_id] = [held_match, m]
    kept: list[Match] = []
    on_one: list[RecordsOnOne] = []
    for group in per_asset.values():
        if not isinstance(group, list):
            kept.append(group)
            continue
        group.sort(key=lambda m: (_KEY_RANK[m.key], m.record.line))
        kept.append(group[0])
        on_one.append((group[0].asset, [m.record for m in group]))
    shared_names = {name: held for name, held in by_host.items() if isinstance(held, list)}
    return kept, matches, on_many, on_one, shared_names


_KEY_RANK = {"serial": 0, "mac": 1, "hostname": 2}


def reconcile(
    assets: Sequence[ResolvedAsset],
    records: Sequence[Record],
    coverage: Sequence[Coverage],
    *,
    now: datetime,
    ghost_after: timedelta,
    apart: frozenset[frozenset[str]] = frozenset(),
) -> tuple[list[Finding], list[Match]]:
    """All inventory findings (ghost, zombie, mismatch, possible-duplicate, identity-conflict) and the matches.

    `apart`: pairs of asset ids a person split apart (decisions.py): never a possible duplicate.
    """
    window_start = now - ghost_after if ghost_after > timedelta(0) else None
    unseen_before = now - ghost_after  # unseen since before this: long enough to be a ghost
    matches, every_match, on_many, on_one, shared_names = match_records(assets, records)
    findings: list[Finding] = []
    matched_assets = {m.asset.asset_id for m in matches}
    primary = {(m.record.register, m.record.record_key) for m in matches}
    match_by_record = {(m.record.register, m.record.record_key): m for m in every_match}
    covering = _CoverageIndex(coverage)

    def active(a: ResolvedAsset) -> bool:
        return window_start is None or a.last_seen >= window_start

    # The hot loops below test activity inline: a call per record and per asset costs a tenth of
    # the whole reconciliation.
    keyed_ips: set[str] | None = None  # built on first need: most networks have few address-only assets
    matched_record = match_by_record.get
    append = findings.append
    for r in records:
        record_id = (r.register, r.record_key)
        m = matched_record(record_id)
        if r.status_class == "in-use":
            ghost = None
            if m is None or m.asset.last_seen <= unseen_before:
                ghost = _ghost(r, m, covering, window_start, unseen_before)
                if ghost is not None:
                    append(ghost)
            if ghost is None and m is not None and record_id in primary:
                mismatch = _attribute_mismatch(m)
                if mismatch is not None:
                    append(mismatch)
            continue
        if record_id not in primary:
            continue  # its asset is judged through the record that matched it best
        if m is None or not active(m.asset):
            continue
        a = m.asset
        if r.status_class == "in-stock":
            findings.append(Finding(
                kind="mismatch", severity="medium", record=r, asset=a,
                summary=f"{_label(r)} is recorded as {r.status!r} (not in use) but {_asset_label(a)} "
                        f"was active on the network at {_t(a.last_seen)}.",
                evidence=(_record_evidence(r), *_asset_evidence(a)), first_seen=a.first_seen, last_seen=a.last_seen))
        elif r.status_class in ("retired", "lost"):
            severity = "critical" if r.status_class == "lost" else "high"
            findings.append(Finding(
                kind="zombie", severity=severity, record=r, asset=a,
                summary=f"{_label(r)} is recorded as {r.status!r} but {_asset_label(a)} was active on the "
                        f"network at {_t(a.last_seen)} (matched by {m.key}).",
                evidence=(_record_evidence(r), *_asset_evidence(a)), first_seen=a.first_seen, last_seen=a.last_seen))
    conflicts: dict[tuple[str, str, str, str], IdentityConflict] = {}
    for a in assets:
        if a.conflicts:
            for c in a.conflicts:
                conflicts.setdefault((c.key, c.value, c.holder, c.claimant), c)
        if (window_start is not None and a.last_seen < window_start) or a.asset_id in matched_assets:
            continue
        if not (a.hostnames or a.macs or a.serials or a.uuids):  # address only
            if keyed_ips is None:
                keyed_ips = {ip for b in assets if (b.hostnames or b.macs or b.serials or b.uuids)
                             and (window_start is None or b.last_seen >= window_start) for ip in b.ips}
            if not keyed_ips.isdisjoint(a.ips):
                continue  # an address that a known machine holds: the same machine seen without a key
        random_mac = a.random_mac
        findings.append(Finding(
            kind="zombie", severity="medium", asset=a,
            summary=f"{_asset_label(a)} is active on the network (last seen {_t(a.last_seen)}) "
                    "but is not in the asset register." + (_RANDOM_MAC_NOTE.format(random_mac) if random_mac else ""),
            evidence=tuple(_asset_evidence(a)) + ((_random_mac_evidence(a, random_mac),) if random_mac else ()),
            first_seen=a.first_seen, last_seen=a.last_seen))
    if conflicts:
        by_asset = {a.asset_id: a for a in assets}
        for c in conflicts.values():
            holder, claimant = by_asset.get(c.asset_ids[0]), by_asset.get(c.asset_ids[1])
            if holder is not None and claimant is not None and (active(holder) or active(claimant)):
                findings.append(_identity_conflict(c, holder, claimant))
    findings += [_possible_duplicate(d) for d in find_duplicates(assets, on_many, on_one, shared_names,
                                                                        active=active, apart=apart)]
    return findings, matches


def _possible_duplicate(d: PossibleDuplicate) -> Finding:
    """A pair of assets that may be one device (or an asset several records describe), with every reason."""
    if len(d.assets) == 1:
        a = d.assets[0]
        return Finding(
            kind=POSSIBLE_DUPLICATE, severity="medium", record=d.records[0], asset=a, identifier=d.identifier,
            summary=d.why, duplicate=d,
            evidence=(*(_record_evidence(r) for r in d.records), *_asset_evidence(a)[:1]),
            first_seen=a.first_seen, last_seen=a.last_seen)
    evidence = [_record_evidence(r) for r in d.records]
    evidence += [replace(ev, detail=f"{a.asset_id}: {ev.detail}") for a in d.assets for ev in _asset_evidence(a)[:1]]
    return Finding(
        kind=POSSIBLE_DUPLICATE, severity="medium", asset=d.assets[0], identifier=d.identifier,
        summary=d.why + f" If they are, `netcensus assets merge {d.assets[0].asset_id} {d.assets[1].asset_id}`.",
        duplicate=d, evidence=tuple(evidence),
        first_seen=min(a.first_seen for a in d.assets), last_seen=max(a.last_seen for a in d.assets))


def _source_ids(subject: str, sources: tuple[str, ...]) -> str:
    """'<source_id>' of an agent subject's sources ('<source_id>:<method>'), else the subject itself."""
    ids = sorted({src.rsplit(":", 1)[0] for src in sources if src})
    return ", ".join(ids) if ids else subject


def _identity_conflict(c: IdentityConflict, holder: ResolvedAsset, claimant: ResolvedAsset) -> Finding:
    """An agent claiming a serial/UUID that another live agent holds: impersonation or a forged report."""
    what = {"serial": "serial number", "uuid": "system UUID"}.get(c.key, c.key)
    holder_src, claimant_src = _source_ids(c.holder, c.holder_sources), _source_ids(c.claimant, c.claimant_sources)
    evidence = (
        Evidence(source=holder_src, method="agent", seen_at=c.holder_seen[1],
                 detail=f"holder: {c.key} {c.value} reported since {_t(c.holder_seen[0])} "
                        f"on {_asset_label(holder)} ({holder.asset_id})"),
        Evidence(source=claimant_src, method="agent", seen_at=c.claimant_seen[1],
                 detail=f"claimant: {c.key} {c.value} reported since {_t(c.since)} "
                        f"on {_asset_label(claimant)} ({claimant.asset_id})"),
    )
    return Finding(
        kind="identity-conflict", severity="high", asset=claimant,
        identifier=f"{c.key}:{c.value}|{c.holder}|{c.claimant}",  # two claimants on one asset: two findings
        summary=f"Agent source {claimant_src} has claimed {what} {c.value} since {_t(c.since)}, while agent "
                f"source {holder_src} (holding it since {_t(c.holder_seen[0])}) was still reporting; they are "
                f"kept as two assets ({holder.asset_id} and {claimant.asset_id}) so neither report changes the "
                "other's: check the claimant for a forged or cloned identity.",
        evidence=evidence, first_seen=c.since, last_seen=max(c.holder_seen[1], c.claimant_seen[1]))


class _CoverageIndex:
    """Coverage runs by the networks they covered, newest first, for ghost checks.

    A record's address is looked up once per prefix length that any run covered (a handful), not
    tested against every run: agents alone contribute one run per report.
    """

    def __init__(self, coverage: Sequence[Coverage], keep: int = 5) -> None:
        # Newest first; among equal times, the given order (what max() and a stable sort did).
        self.runs = sorted(coverage, key=lambda c: c.at, reverse=True)
        self.keep = keep
        self.by_net: dict[tuple[int, int], dict[int, list[int]]] = {}
        # Per network, the run that began first (what first() reads; the newest `keep` may not hold it).
        self.first_by_net: dict[tuple[int, int], dict[int, int]] = {}
        # Runs repeat a few network lists (every agent of a subnet reports the same one): each list is
        # parsed once, and a network keeps only its `keep` newest runs, the most a lookup reads (newest
        # first, it stops at the first stale one). At 240,000 agent runs this took the index from
        # 1.8 s to a fraction of it (bench/bench_live.py's estate).
        parsed: dict[tuple[str, ...], list[tuple[tuple[int, int], int]]] = {}
        by_net = self.by_net
        for rank, c in enumerate(self.runs):
            keys = parsed.get(c.networks)
            if keys is None:
                keys = parsed[c.networks] = _network_keys(c.networks)
            for key, base in keys:
                held = by_net.setdefault(key, {}).setdefault(base, [])
                if len(held) < keep:
                    held.append(rank)
                firsts = self.first_by_net.setdefault(key, {})
                earliest = firsts.get(base)
                if earliest is None or c.began < self.runs[earliest].began:
                    firsts[base] = rank

    def first(self, ips: Sequence[str]) -> Coverage | None:
        """The oldest run over any of `ips` (over anything when there are none): when looking began."""
        if not ips:
            return min(self.runs, key=attrgetter("began"), default=None)
        oldest: Coverage | None = None
        for ip_text in ips:
            parsed = _address_bits(ip_text)
            if parsed is None:
                continue
            ip_version, value, bits = parsed
            for (version, prefixlen), firsts in self.first_by_net.items():
                if version != ip_version:
                    continue
                rank = firsts.get(value >> (bits - prefixlen))
                if rank is not None:
                    c = self.runs[rank]
                    if oldest is None or c.began < oldest.began:
                        oldest = c
        return oldest

    def covering(self, ips: Sequence[str], since: datetime | None, after: datetime | None,
                 limit: int = 5) -> list[Coverage]:
        """The newest `limit` runs over any of `ips` (any run when there are none) inside the window
        that began after `after` (the last sighting)."""
        assert limit <= self.keep, "the index keeps only `keep` runs per network"
        def fresh(c: Coverage) -> bool:
            return (since is None or c.at >= since) and (after is None or c.began > after)

        runs = self.runs
        if not ips:
            out: list[Coverage] = []
            for c in runs:
                if not fresh(c) or len(out) == limit:
                    break
                out.append(c)
            return out
        ranks: set[int] = set()
        for ip_text in ips:
            parsed = _address_bits(ip_text)
            if parsed is None:
                continue
            ip_version, value, bits = parsed
            for (version, prefixlen), nets in self.by_net.items():
                if version != ip_version:
                    continue
                for rank in nets.get(value >> (bits - prefixlen), ())[:limit]:
                    if not fresh(runs[rank]):
                        break  # newest first: the rest of this network's runs are older still
                    ranks.add(rank)
        return [runs[rank] for rank in sorted(ranks)[:limit]]


def _ghost(r: Record, m: Match | None, coverage: _CoverageIndex, window_start: datetime | None,
           unseen_before: datetime) -> Finding | None:
    last_seen = m.asset.last_seen if m else None
    covering = coverage.covering(r.ips, window_start, last_seen)
    if window_start is None and last_seen is not None:
        # At 0 a machine seen before is missing only if a sweep looked for it since: another machine's
        # agent reporting after it (agents report at their own times) says nothing about it.
        covering = [c for c in covering if c.method.startswith("scan:")]
    if not covering:
        return None
    if last_seen is None and window_start is not None:
        first = coverage.first(r.ips)  # never seen: unseen since sources began to look
        if first is None or first.began > unseen_before:
            return None
    latest = covering[0]
    since = f"since {_t(last_seen)}" if last_seen else "by any source"
    where = f" at {', '.join(r.ips)}" if r.ips else ""
    return Finding(
        kind="ghost", severity="medium", record=r, asset=m.asset if m else None,
        summary=f"{_label(r)}{where} is recorded as {r.status!r} but has not been seen {since}; "
                f"{latest.detail} ran at {_t(latest.at)} without seeing it.",
        evidence=(_record_evidence(r), *(
            Evidence(source=c.source, method=c.method, seen_at=c.at, detail=f"covered by {c.detail}, not seen")
            for c in covering)),
        first_seen=m.asset.first_seen if m else None, last_seen=last_seen)


def _network_keys(networks: Sequence[str]) -> list[tuple[tuple[int, int], int]]:
    """((IP version, prefix length), network bits) of each distinct parsable network in `networks`."""
    keys: list[tuple[tuple[int, int], int]] = []
    for text in networks:
        net = _network(text)
        if net is None:
            continue
        item = ((net.version, net.prefixlen), int(net.network_address) >> (net.max_prefixlen - net.prefixlen))
        if item not in keys:
            keys.append(item)
    return keys


@functools.lru_cache(maxsize=65536)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _address_bits(text: str) -> tuple[int, int, int] | None:
    """(IP version, address as an integer, address bits), None when `text` is no address.

    inet_pton is ten times quicker than ipaddress and as strict for IPv4 (no leading zeros, four
    octets); IPv6 (zone ids and all) goes through ipaddress.
    """
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"), 32
    except OSError:
        pass
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.version, int(ip), ip.max_prefixlen


def _attribute_mismatch(m: Match) -> Finding | None:
    """A low mismatch when the matched asset's serial, current host name, MAC or model disagree with the record."""
    r, a = m.record, m.asset
    problems: list[str] = []
    if r.serial and a.serials and r.serial not in a.serials:
        problems.append(f"serial recorded {r.serial}, seen {a.serial}")
    if r.hostname and a.hostnames and r.hostname != a.hostnames[0]:  # compare with the current name
        problems.append(f"host name recorded {r.hostname}, seen {a.hostnames[0]}")
    if r.macs and a.macs and set(r.macs).isdisjoint(a.macs):
        problems.append(f"MAC recorded {', '.join(r.macs)}, seen {', '.join(a.macs[:3])}")
    if r.model and a.model and not _same_model(r.model, a.model):
        problems.append(f"model recorded {r.model!r}, seen {a.model!r}")
    if not problems:
        return None
    return Finding(
        kind="mismatch", severity="low", record=r, asset=a,
        summary=f"{_label(r)} matched {_asset_label(a)} by {m.key}, but " + "; ".join(problems) + ".",
        evidence=(_record_evidence(r), *_asset_evidence(a)), first_seen=a.first_seen, last_seen=a.last_seen)


def _same_model(recorded: str, seen: str) -> bool:
    """Registers and firmware spell models differently ("Latitude 7440" vs "Dell Latitude 7440")."""
    x, y = (" ".join(s.lower().split()) for s in (recorded, seen))
    return x in y or y in x


def _label(r: Record) -> str:
    name = r.asset_tag or r.name or r.serial or r.record_key
    host = f" ({r.hostname})" if r.hostname and r.hostname != name else ""
    return f"{name}{host}"


def _asset_label(a: ResolvedAsset) -> str:
    parts = [a.hostnames[0] if a.hostnames else "", a.ips[0] if a.ips else "",
             a.macs[0] if a.macs else (f"{a.random_mac} (random MAC)" if a.random_mac else "")]
    return " / ".join(p for p in parts if p) or a.asset_id


# Why a zombie known only by a randomised MAC needs a second look before anyone hunts for it.
_RANDOM_MAC_NOTE = (" It is known only by the randomised (locally administered) MAC {0}, which is not identity:"
                    " it may be a recorded device (a phone or laptop with MAC privacy) under a fresh MAC.")


def _random_mac_evidence(a: ResolvedAsset, mac: str) -> Evidence:
    return Evidence(source="identity", method="random-mac", seen_at=a.last_seen,
                    detail=f"{mac} is locally administered (randomised): not identity")


def _t(value: datetime | None) -> str:
    """'%Y-%m-%d %H:%M UTC', formatted without strftime (half the cost, tens of thousands of calls)."""
    if not value:
        return "never"
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d} UTC"


def _record_evidence(r: Record) -> Evidence:
    assigned = f", assigned to {r.assigned_to}" if r.assigned_to else ""
    return Evidence(source=f"register:{r.filename}", method="register", seen_at=r.imported_at,
                    detail=f"line {r.line}: {r.status}{assigned}")


def _asset_evidence(a: ResolvedAsset) -> list[Evidence]:
    return [Evidence(source=src, method=method, seen_at=at, detail=detail) for src, method, at, detail in a.evidence]

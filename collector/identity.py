"""Identity resolution: which sightings are the same machine (pure; no I/O).

A *subject* is what one report stream calls one thing ('agent:<id>', 'mac:<mac>', 'serial:<sn>',
'ip:<ip>'). Subjects merge into assets by ordered rules; a lower rule never overrides a higher one:

1. serial number, then SMBIOS system UUID: the same value on two subjects joins them;
2. MAC address (universally administered only) joins them, unless the two sides carry
   different serials or different UUIDs (a NIC moved to another machine, or a cloned VM);
3. host name joins them under the same proviso;
4. an IP address never joins anything: a subject known only by its address stays an
   address-only asset (see reconcile.py for how such assets are reported).

Identifiers carried by implausibly many subjects (a serial on more than `max_share` distinct
machines, a MAC seen behind more than that many serials) are treated as junk and ignored.
Every join records the key that made it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

KEY_ORDER = ("serial", "uuid", "mac", "hostname")


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """Everything the store knows about one subject, aggregated over its sightings."""

    subject: str
    first_seen: datetime
    last_seen: datetime
    hostnames: tuple[str, ...] = ()      # most recent first
    ips: tuple[str, ...] = ()            # most recent first
    macs: tuple[str, ...] = ()
    serials: tuple[str, ...] = ()        # most recent first
    uuids: tuple[str, ...] = ()
    vendor: str = ""
    model: str = ""
    device_type: str = ""
    os: str = ""
    os_family: str = ""
    sources: tuple[str, ...] = ()        # "<source_id>:<method>"
    has_software: bool = False
    evidence: tuple[tuple[str, str, datetime, str], ...] = ()  # (source, method, last seen, detail)


@dataclass(slots=True)
class ResolvedAsset:
    """One machine, as far as the sightings tell."""

    asset_id: str
    members: list[str]
    matched_by: dict[str, str]           # subject -> key that joined it ('anchor' for the first)
    hostnames: list[str]
    ips: list[str]
    macs: list[str]
    serials: list[str]
    uuids: list[str]
    vendor: str
    model: str
    device_type: str
    os: str
    os_family: str
    first_seen: datetime
    last_seen: datetime
    sources: list[str]
    has_software: bool
    evidence: list[tuple[str, str, datetime, str]] = field(default_factory=list)

    @property
    def address_only(self) -> bool:
        """Known by IP address alone: never identity-grade."""
        return not (self.hostnames or self.macs or self.serials or self.uuids)

    @property
    def serial(self) -> str:
        """Most recent serial."""
        return self.serials[0] if self.serials else ""


class _Components:
    """Union-find over subjects that tracks each component's serials and UUIDs for conflict checks."""

    def __init__(self, facts: Sequence[SubjectFacts]) -> None:
        self.parent = {f.subject: f.subject for f in facts}
        # Only subjects that carry serials/UUIDs get a set: most network sightings carry none.
        self.serials: dict[str, set[str]] = {f.subject: set(f.serials) for f in facts if f.serials}
        self.uuids: dict[str, set[str]] = {f.subject: set(f.uuids) for f in facts if f.uuids}
        self.joined_by: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def conflict(self, a: str, b: str, key: str) -> bool:
        """Would joining a and b on `key` contradict a stronger key?"""
        ra, rb = self.find(a), self.find(b)
        if key in ("uuid", "mac", "hostname"):
            sa, sb = self.serials.get(ra), self.serials.get(rb)
            if sa and sb and not sa & sb:
                return True
        if key in ("mac", "hostname"):
            ua, ub = self.uuids.get(ra), self.uuids.get(rb)
            if ua and ub and not ua & ub:
                return True
        return False

    def union(self, a: str, b: str, key: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        for table in (self.serials, self.uuids):
            moved = table.pop(rb, None)
            if moved:
                table.setdefault(ra, set()).update(moved)
        self.joined_by.setdefault(b, key)
        self.joined_by.setdefault(a, key)


_VALUES = {"serial": "serials", "uuid": "uuids", "mac": "macs", "hostname": "hostnames"}


def _identifiers(f: SubjectFacts, key: str) -> Sequence[str]:
    values: Sequence[str] = getattr(f, _VALUES[key])
    return values[:1] if key == "hostname" else values  # only the current host name is identity


def find_junk(facts: Sequence[SubjectFacts], max_share: int = 8) -> set[tuple[str, str]]:
    """Identifiers shared by implausibly many subjects that otherwise differ.

    A serial or UUID on more than `max_share` subjects with distinct MACs is a template value
    (cloned images, firmware placeholders that slipped through the denylist); a MAC behind more
    than `max_share` distinct serials is a shared virtual or gateway address.
    """
    junk: set[tuple[str, str]] = set()
    for key in ("serial", "uuid"):
        counts = Counter(v for f in facts for v in getattr(f, _VALUES[key]))
        suspects = {v for v, n in counts.items() if n > max_share}
        if not suspects:
            continue
        holders: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        for f in facts:
            for value in getattr(f, _VALUES[key]):
                if value in suspects:
                    holders[value].add(f.macs or (f.subject,))
        junk |= {(key, v) for v, macsets in holders.items() if len(macsets) > max_share}
    mac_counts = Counter(m for f in facts if f.serials for m in f.macs)
    suspects = {m for m, n in mac_counts.items() if n > max_share}
    if suspects:
        behind: dict[str, set[str]] = defaultdict(set)
        for f in facts:
            for mac in f.macs:
                if mac in suspects:
                    behind[mac].update(f.serials)
        junk |= {("mac", m) for m, serials in behind.items() if len(serials) > max_share}
    return junk


def asset_id_for(anchor: str) -> str:
    """Stable asset id: derived from the component's earliest subject, so it survives re-resolution."""
    return "a-" + hashlib.sha1(anchor.encode(), usedforsecurity=False).hexdigest()[:12]


def _concurrent_twins(a: SubjectFacts, b: SubjectFacts) -> bool:
    """Two agents alive at the same time with different NICs are two machines, whatever they share.

    This is how cloned VMs look (same SMBIOS UUID, even the same serial); a re-imaged machine
    instead has its old agent stop before the new one starts, so its identifiers still join.
    """
    if not (a.subject.startswith("agent:") and b.subject.startswith("agent:")):
        return False
    overlap = a.first_seen <= b.last_seen and b.first_seen <= a.last_seen
    return overlap and bool(a.macs) and bool(b.macs) and not set(a.macs) & set(b.macs)


def resolve(facts: Sequence[SubjectFacts], *, max_share: int = 8) -> list[ResolvedAsset]:
    """Merge subjects into assets by the ordered rules in the module docstring."""
    junk = find_junk(facts, max_share)
    comps = _Components(facts)
    by_subject = {f.subject: f for f in facts}
    for key in KEY_ORDER:
        holders: dict[str, list[str]] = defaultdict(list)
        for f in facts:
            for value in _identifiers(f, key):
                if value:
                    holders[value].append(f.subject)
        for value, subjects in holders.items():
            if len(subjects) < 2 or (key, value) in junk:
                continue
            for i, first in enumerate(subjects):
                for other in subjects[i + 1:]:
                    if comps.find(first) == comps.find(other) or comps.conflict(first, other, key):
                        continue
                    if key in ("serial", "uuid") and _concurrent_twins(by_subject[first], by_subject[other]):
                        continue
                    comps.union(first, other, key)
    groups: dict[str, list[SubjectFacts]] = defaultdict(list)
    for f in facts:
        groups[comps.find(f.subject)].append(f)
    return [_build(members, comps.joined_by) for members in groups.values()]


def _ranked(members: Sequence[SubjectFacts], attr: str) -> list[str]:
    """Distinct values of a list attribute over all members, most recent first.

    Each subject's own list is already most-recent-first, so rank by (subject's last sighting,
    position in its list).
    """
    best: dict[str, tuple[float, int]] = {}
    for f in members:
        for position, value in enumerate(getattr(f, attr)):
            rank = (-f.last_seen.timestamp(), position)
            if value and (value not in best or rank < best[value]):
                best[value] = rank
    return [v for v, _ in sorted(best.items(), key=lambda kv: (kv[1], kv[0]))]


def _build(members: list[SubjectFacts], joined_by: dict[str, str]) -> ResolvedAsset:
    if len(members) == 1:  # most assets: nothing to rank or merge
        f = members[0]
        return ResolvedAsset(
            asset_id=asset_id_for(f.subject), members=[f.subject], matched_by={f.subject: "anchor"},
            hostnames=list(f.hostnames), ips=list(f.ips), macs=list(f.macs), serials=list(f.serials),
            uuids=list(f.uuids), vendor=f.vendor, model=f.model, device_type=f.device_type, os=f.os,
            os_family=f.os_family, first_seen=f.first_seen, last_seen=f.last_seen, sources=sorted(f.sources),
            has_software=f.has_software, evidence=sorted(f.evidence, key=lambda e: e[2], reverse=True))
    members.sort(key=lambda f: (f.first_seen, f.subject))
    anchor = members[0].subject
    latest = sorted(members, key=lambda f: f.last_seen, reverse=True)
    # Agents know their own machine best; then the most recent of the rest.
    preferred = sorted(latest, key=lambda f: not f.subject.startswith("agent:"))

    def pick(attr: str) -> str:
        for f in preferred:
            value = getattr(f, attr)
            if value:
                return str(value)
        return ""

    evidence: dict[tuple[str, str], tuple[str, str, datetime, str]] = {}
    for f in members:
        for ev in f.evidence:
            k = (ev[0], ev[1])
            if k not in evidence or ev[2] > evidence[k][2]:
                evidence[k] = ev
    return ResolvedAsset(
        asset_id=asset_id_for(anchor), members=[f.subject for f in members],
        matched_by={f.subject: "anchor" if f.subject == anchor else joined_by.get(f.subject, "anchor")
                    for f in members},
        hostnames=_ranked(members, "hostnames"),
        ips=_ranked(members, "ips"),
        macs=_ranked(members, "macs"),
        serials=_ranked(members, "serials"),
        uuids=_ranked(members, "uuids"),
        vendor=pick("vendor"), model=pick("model"), device_type=pick("device_type"), os=pick("os"),
        os_family=pick("os_family"), first_seen=members[0].first_seen, last_seen=latest[0].last_seen,
        sources=sorted({s for f in members for s in f.sources}), has_software=any(f.has_software for f in members),
        evidence=sorted(evidence.values(), key=lambda e: e[2], reverse=True),
    )


def most_common(values: Iterable[str]) -> str:
    """The most frequent non-empty value (ties: alphabetical), "" when none."""
    counts = Counter(v for v in values if v)
    return min(counts, key=lambda v: (-counts[v], v)) if counts else ""

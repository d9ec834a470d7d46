"""Identity resolution: which sightings are the same machine (pure; no I/O).

A *subject* is what one report stream calls one thing ('agent:<id>', 'mac:<mac>', 'serial:<sn>',
'ip:<ip>'). Subjects merge into assets by ordered rules; a lower rule never overrides a higher one:

1. serial number, then SMBIOS system UUID: the same value on two subjects joins them, unless both
   are agents alive at the same time with different NICs (cloned VMs: see `_concurrent_twins`), or
   two agents alive at the same time claim it at all (see "Identity conflicts" below);
2. MAC address (universally administered only) joins them, unless the two sides carry
   different serials or different UUIDs (a NIC moved to another machine, or a cloned VM);
3. L2 binding: a scanner that, in one sweep, resolved an address to a MAC on its own segment and
   talked to that address over SNMP or nmap sends the observation bound to that MAC
   (`SubjectFacts.bound_macs`); the binding joins it to the subjects carrying that MAC (key
   'l2-binding') under the same proviso, whatever the device says about its own interfaces. The
   scanner binds only global unicast MACs that answered for few addresses of the sweep, never
   virtual-router MACs (the collector re-checks the MAC class and the virtual-router prefixes, and a
   MAC bound by more than `max_share` subjects binds none), and a binding is per sighting, so an
   address that changes hands between sweeps binds each holder to its own MAC;
4. host name (the current one) joins them under the same proviso;
5. IP-at-time: an address-only sighting ('ip:<ip>', nothing but an address) attaches to the
   keyed asset that held that address at that time — within `ip_window` of the sighting — when
   exactly one keyed asset did. An address never joins two keyed assets: it only attaches a
   sighting that has no identity of its own, and an ambiguous address attaches nothing.
6. manual decisions (collector/inventory/decisions.py): a person's split vetoes every join above that
   would undo it; a person's merge joins two assets after the keys, recorded as the key 'manual'.

Identifiers carried by implausibly many subjects (a serial on more than `max_share` distinct
machines, a MAC seen behind more than that many serials) are treated as junk and ignored.
Every join records the key that made it. A serial or UUID that stays on two or more assets after
resolution (kept apart by a weaker rule, e.g. two network sightings) is reported on each of them as a
`SharedIdentifier`, a signal of a possible duplicate (duplicates.py).

Identity conflicts (issue #14): an agent may claim another machine's serial, UUID *and* MACs, and would
then merge into that machine's asset and add its software there. Two agent sources are *live together*
when their reporting periods (first to last report) overlap; one machine has one agent at a time, so
two such agents sharing a serial or UUID are two machines, whatever else they share. No rule joins
components holding such a pair; the pair is kept as an `IdentityConflict` on both assets (holder: the
agent that reported the value first; claimant: the other), which reconciliation reports as an
`identity-conflict` finding instead of a duplicate. A machine re-enrolled under a new source id (OS
reinstall) has its old agent fall silent before the new one starts: no overlap, so it still joins.
Cloned VMs running together (same UUID, different NICs) are a conflict too: the collector cannot tell a
clone from an impostor that copied only the serial, and either needs a person to look. Junk serials and
UUIDs never conflict.

Performance: the store hands over ~150,000 subjects for 100,000 machines, so resolution works on
subject indices (lists, not dicts of strings), indexes every identifier in one pass, and only builds
conflict sets for subjects that carry serials/UUIDs. Every asset, of one member or many, is built by
the one `_build`, so the asset id and the merge rules are written once. The caller that resolves
100,000 machines pauses the cyclic garbage collector around the whole refresh (refresh.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from operator import attrgetter

from collector.inventory.decisions import ManualDecisions

L2_BINDING = "l2-binding"
KEY_ORDER = ("serial", "uuid", "mac", L2_BINDING, "hostname")
IP_AT_TIME = "ip-at-time"
DEFAULT_IP_WINDOW = timedelta(hours=1)


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
    # (ip, first seen with it, last seen with it), for IP-at-time. The store fills it for the
    # addresses that matter; without it, every address counts as held from first_seen to last_seen.
    ip_seen: tuple[tuple[str, datetime, datetime], ...] = ()
    local_macs: tuple[str, ...] = ()     # locally administered MACs: shown, never identity
    bound_macs: tuple[str, ...] = ()     # MACs a scanner bound this subject's address to (rule 3)
    firmware: str = ""                   # OS or firmware version, most recent


@dataclass(frozen=True, slots=True)
class SharedIdentifier:
    """A serial or UUID that several assets carry and resolution kept apart (cloned machines)."""

    key: str                     # 'serial' | 'uuid'
    value: str
    asset_ids: tuple[str, ...]   # every asset carrying it, sorted


@dataclass(frozen=True, slots=True)
class IdentityConflict:
    """Two agents live together claim one serial/UUID; resolution kept them as two assets.

    Attributes:
        key: 'serial' | 'uuid'.
        value: the identifier both claim.
        holder: the agent subject that reported it first ('agent:<id>').
        claimant: the agent subject that claimed it while the holder was still reporting.
        since: when the claimant first reported (the start of the overlap).
        holder_sources / claimant_sources: '<source_id>:<method>' of each side.
        holder_seen / claimant_seen: (first, last) report of each side.
        asset_ids: (holder's asset, claimant's asset); filled once the assets are built.
    """

    key: str
    value: str
    holder: str
    claimant: str
    since: datetime
    holder_sources: tuple[str, ...]
    claimant_sources: tuple[str, ...]
    holder_seen: tuple[datetime, datetime]
    claimant_seen: tuple[datetime, datetime]
    asset_ids: tuple[str, str] = ("", "")


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
    shared: list[SharedIdentifier] = field(default_factory=list)
    conflicts: list[IdentityConflict] = field(default_factory=list)
    local_macs: list[str] = field(default_factory=list)
    firmware: str = ""                   # OS or firmware version, chosen like os

    @property
    def serial(self) -> str:
        """Most recent serial."""
        return self.serials[0] if self.serials else ""

    @property
    def random_mac(self) -> str:
        """The locally administered MAC an asset is known by when it has no identity of its own, else "".

        Such a MAC is randomised (phones, laptops with Wi-Fi privacy): the same device comes back
        under a fresh one, so a person must know that this asset may be a known device in disguise.
        """
        if self.macs or self.serials or self.uuids or not self.local_macs:
            return ""
        return "" if any(m.startswith("agent:") for m in self.members) else self.local_macs[0]


# value -> the index of the one subject carrying it, or the list of all of them (in fact order,
# once per occurrence). Most identifiers are carried by one subject: no list for those.
_Holders = dict[str, int | list[int]]


def _holders(lists: Iterable[Sequence[str]], *, first_only: bool = False) -> _Holders:
    """Each non-empty value → the subject index(es) carrying it (`lists` in subject order)."""
    table: _Holders = {}
    get = table.get
    for i, values in enumerate(lists):
        if not values:
            continue  # most subjects lack most identifiers
        for v in values:
            if v:
                h = get(v)
                if h is None:
                    table[v] = i
                elif isinstance(h, int):
                    table[v] = [h, i]
                else:
                    h.append(i)
            if first_only:
                break  # (no slice per subject)
    return table


def _index(facts: Sequence[SubjectFacts], max_share: int = 8) -> dict[str, _Holders]:
    """Every identifier → the subjects carrying it; only the current host name is identity."""
    macs = _holders(map(attrgetter("macs"), facts))
    return {"serial": _holders(map(attrgetter("serials"), facts)),
            "uuid": _holders(map(attrgetter("uuids"), facts)),
            "mac": macs,
            L2_BINDING: _l2_holders(facts, macs, max_share),
            "hostname": _holders(map(attrgetter("hostnames"), facts), first_only=True)}


def _l2_holders(facts: Sequence[SubjectFacts], macs: _Holders, max_share: int) -> _Holders:
    """Each MAC some subject is bound to → the subjects carrying it as their own, then those bound to it.

    A MAC that more than `max_share` distinct subjects were bound to binds nothing: one device keeps
    one subject across sweeps, so that many are devices behind a proxy-ARP router or a shared
    gateway MAC that a scanner (an old or foreign one) bound anyway.
    """
    bound = _holders(map(attrgetter("bound_macs"), facts))
    table: _Holders = {}
    for mac, h in bound.items():
        if not isinstance(h, int) and len(h) > max_share:
            continue
        own = macs.get(mac)
        members = [] if own is None else [own] if isinstance(own, int) else list(own)
        members += [h] if isinstance(h, int) else h
        members = list(dict.fromkeys(members))
        table[mac] = members[0] if len(members) == 1 else members
    return table


def _junk(facts: Sequence[SubjectFacts], index: dict[str, _Holders], max_share: int) -> set[tuple[str, str]]:
    """`find_junk` over the identifier index (only values with more than `max_share` holders)."""
    junk: set[tuple[str, str]] = set()
    for key in ("serial", "uuid"):
        for value, h in index[key].items():
            if not isinstance(h, int) and len(h) > max_share:
                macsets = {facts[i].macs or (facts[i].subject,) for i in h}
                if len(macsets) > max_share:
                    junk.add((key, value))
    for value, h in index["mac"].items():
        if (not isinstance(h, int) and len(h) > max_share and sum(1 for i in h if facts[i].serials) > max_share
                and len({s for i in h for s in facts[i].serials}) > max_share):
            junk.add(("mac", value))
    return junk


def find_junk(facts: Sequence[SubjectFacts], max_share: int = 8) -> set[tuple[str, str]]:
    """Identifiers shared by implausibly many subjects that otherwise differ.

    A serial or UUID on more than `max_share` subjects with distinct MACs is a template value
    (cloned images, firmware placeholders that slipped through the denylist); a MAC behind more
    than `max_share` distinct serials is a shared virtual or gateway address.
    """
    return _junk(facts, _index(facts), max_share)


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
    return _live_together(a, b) and bool(a.macs) and bool(b.macs) and not set(a.macs) & set(b.macs)


def _live_together(a: SubjectFacts, b: SubjectFacts) -> bool:
    """Two agent subjects whose reporting periods overlap: two machines, never one re-enrolled."""
    return (a.subject.startswith("agent:") and b.subject.startswith("agent:")
            and a.first_seen <= b.last_seen and b.first_seen <= a.last_seen)


def _conflict(a: SubjectFacts, b: SubjectFacts, junk: set[tuple[str, str]]) -> IdentityConflict | None:
    """The conflict between two agents live together that share a (non-junk) serial or UUID, if any."""
    if not _live_together(a, b):
        return None
    for key, mine, theirs in (("serial", a.serials, b.serials), ("uuid", a.uuids, b.uuids)):
        common = sorted(v for v in set(mine) & set(theirs) if v and (key, v) not in junk)
        if common:
            holder, claimant = sorted((a, b), key=_FIRST_SEEN_ORDER)
            return IdentityConflict(key, common[0], holder.subject, claimant.subject, claimant.first_seen,
                                    holder.sources, claimant.sources, (holder.first_seen, holder.last_seen),
                                    (claimant.first_seen, claimant.last_seen))
    return None


class _Components:
    """Union-find over subject indices, tracking each component's serials and UUIDs for conflict checks."""

    __slots__ = ("agents", "conflicts", "facts", "joined_by", "junk", "manual", "parent", "serials", "uuids")

    def __init__(self, facts: Sequence[SubjectFacts], junk: set[tuple[str, str]] | None = None) -> None:
        self.facts = facts
        self.junk = junk or set()
        # root -> its agent subjects that carry a serial or UUID (the only ones that can conflict)
        self.agents: dict[int, list[int]] = {i: [i] for i, f in enumerate(facts)
                                             if f.subject.startswith("agent:") and (f.serials or f.uuids)}
        self.conflicts: dict[tuple[str, str, str, str], IdentityConflict] = {}
        self.parent = list(range(len(facts)))
        # Only subjects that carry serials/UUIDs get a set: most network sightings carry none.
        self.serials: dict[int, set[str]] = {i: set(f.serials) for i, f in enumerate(facts) if f.serials}
        self.uuids: dict[int, set[str]] = {i: set(f.uuids) for i, f in enumerate(facts) if f.uuids}
        self.joined_by: dict[int, str] = {}
        self.manual: ManualDecisions | None = None  # people's split decisions veto joins (decisions.py)

    def find(self, x: int) -> int:
        parent = self.parent
        root = parent[x]
        if parent[root] == root:
            return root
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def try_join(self, a: int, b: int, key: str) -> bool:
        """Join a and b on `key` unless they are joined already or a stronger key forbids it."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if key != "serial":  # a weaker key must not join two different serials (or, below uuid, UUIDs)
            sa, sb = self.serials.get(ra), self.serials.get(rb)
            if sa and sb and not sa & sb:
                return False
            if key != "uuid":
                ua, ub = self.uuids.get(ra), self.uuids.get(rb)
                if ua and ub and not ua & ub:
                    return False
        agents_a, agents_b = self.agents.get(ra), self.agents.get(rb)
        if agents_a and agents_b and self._conflicting(agents_a, agents_b):
            return False
        if key in ("serial", "uuid") and _concurrent_twins(self.facts[a], self.facts[b]):
            return False
        if self.manual is not None and not self.manual.allow(ra, rb):
            return False
        if agents_b:
            self.agents.pop(rb)
            if agents_a:
                agents_a.extend(agents_b)
            else:
                self.agents[ra] = agents_b
        self.parent[rb] = ra
        for table in (self.serials, self.uuids):
            moved = table.pop(rb, None)
            if moved:
                kept = table.get(ra)
                if kept is None:
                    table[ra] = moved
                else:
                    kept |= moved
        self.joined_by.setdefault(b, key)
        self.joined_by.setdefault(a, key)
        return True

    def _conflicting(self, agents_a: list[int], agents_b: list[int]) -> bool:
        """Record every identity conflict between two components' agents; True when there is one."""
        found = False
        for i in agents_a:
            for j in agents_b:
                conflict = _conflict(self.facts[i], self.facts[j], self.junk)
                if conflict is not None:
                    self.conflicts.setdefault((conflict.key, conflict.value, conflict.holder, conflict.claimant),
                                              conflict)
                    found = True
        return found

    def conflict_free(self, holders: list[int]) -> bool:
        """True when no pair of `holders` can be refused: at most one side carries serials, UUIDs, agents.

        Then joining every holder to the first is exactly what the pairwise rule would do.
        """
        find = self.find
        roots = {find(i) for i in holders}
        if len(roots) == 1:
            return True
        if sum(1 for r in roots if self.serials.get(r)) > 1 or sum(1 for r in roots if self.uuids.get(r)) > 1:
            return False
        return sum(1 for i in holders if self.facts[i].subject.startswith("agent:")) <= 1


def _sighted(f: SubjectFacts) -> Iterable[tuple[str, datetime, datetime]]:
    """When an address-only subject saw its addresses: its per-address times, else its whole life."""
    return f.ip_seen or ((ip, f.first_seen, f.last_seen) for ip in f.ips)


def _keyed(f: SubjectFacts) -> bool:
    return bool(f.hostnames or f.macs or f.serials or f.uuids or f.bound_macs)


def _attach_by_ip_at_time(facts: Sequence[SubjectFacts], comps: _Components, window: timedelta) -> None:
    """Rule 4: attach each address-only 'ip:' subject to the one keyed asset that held its address then."""
    lonely = [i for i, f in enumerate(facts) if f.subject.startswith("ip:") and f.ips and not _keyed(f)]
    if not lonely:
        return
    wanted = {ip for i in lonely for ip in facts[i].ips}
    # A keyed subject's address list spans its whole life (a laptop changes address daily), so only
    # its per-address times say that it held an address *then*; without them it holds none.
    held: dict[str, list[tuple[int, datetime, datetime]]] = {}
    for i, f in enumerate(facts):
        if f.ip_seen and _keyed(f):
            for ip, first, last in f.ip_seen:
                if ip in wanted:
                    held.setdefault(ip, []).append((i, first - window, last + window))
    find = comps.find
    for i in lonely:
        owners = {find(j) for ip, first, last in _sighted(facts[i]) for j, start, end in held.get(ip, ())
                  if start <= last and first <= end}
        if len(owners) == 1:
            owner = owners.pop()
            if comps.manual is not None and not comps.manual.allow(owner, find(i)):
                continue
            comps.parent[find(i)] = owner
            comps.joined_by[i] = IP_AT_TIME


def resolve(facts: Sequence[SubjectFacts], *, max_share: int = 8, ip_window: timedelta = DEFAULT_IP_WINDOW,
            decisions: ManualDecisions | None = None) -> list[ResolvedAsset]:
    """Merge subjects into assets by the ordered rules in the module docstring, then people's `decisions`."""
    index = _index(facts, max_share)
    junk = _junk(facts, index, max_share)
    comps = _Components(facts, junk)
    if decisions:  # manual splits veto key joins; manual merges come after the keys (decisions.py)
        decisions.bind(facts)
        comps.manual = decisions
    for key in KEY_ORDER:
        junk_key = "mac" if key == L2_BINDING else key  # a junk MAC binds nothing either
        for value, holders in index[key].items():
            if isinstance(holders, int) or (junk_key, value) in junk:
                continue
            if len(holders) == 2:  # the usual shared value: an agent and the ARP sighting of its MAC
                comps.try_join(holders[0], holders[1], key)
                continue
            if comps.conflict_free(holders):
                first = holders[0]
                for other in holders[1:]:
                    comps.try_join(first, other, key)
                continue
            for n, first in enumerate(holders):
                for other in holders[n + 1:]:
                    comps.try_join(first, other, key)
    _attach_by_ip_at_time(facts, comps, ip_window)
    if decisions:
        decisions.merge(comps, facts)

    roots = [comps.find(i) for i in range(len(facts))]
    groups: dict[int, list[SubjectFacts]] = {}  # root -> its members
    for f, r in zip(facts, roots, strict=True):
        members = groups.get(r)
        if members is None:
            groups[r] = [f]
        else:
            members.append(f)
    keys = {facts[i].subject: key for i, key in comps.joined_by.items()}
    assets = {r: _build(members, keys) for r, members in groups.items()}
    conflicted = _report_conflicts(comps, roots, assets)
    _report_shared(index, junk | conflicted, roots, assets)
    return list(assets.values())


def _report_conflicts(comps: _Components, roots: list[int],
                      assets: dict[int, ResolvedAsset]) -> set[tuple[str, str]]:
    """Put each identity conflict on both assets; return the (key, value) pairs they cover.

    A pair whose two agents ended up in one asset anyway (joined through a third subject before the
    conflict was seen) is no conflict any more: that asset is reported as it is.
    """
    covered: set[tuple[str, str]] = set()
    if not comps.conflicts:
        return covered
    position = {f.subject: i for i, f in enumerate(comps.facts)}
    for c in comps.conflicts.values():
        holder_root, claimant_root = roots[position[c.holder]], roots[position[c.claimant]]
        if holder_root == claimant_root:
            continue
        placed = replace(c, asset_ids=(assets[holder_root].asset_id, assets[claimant_root].asset_id))
        assets[holder_root].conflicts.append(placed)
        assets[claimant_root].conflicts.append(placed)
        # Every serial/UUID the two share is covered (the finding names the first; a copied UUID beside a
        # copied serial is the same conflict, not also a duplicate).
        holder, claimant = comps.facts[position[c.holder]], comps.facts[position[c.claimant]]
        covered.update(("serial", v) for v in set(holder.serials) & set(claimant.serials))
        covered.update(("uuid", v) for v in set(holder.uuids) & set(claimant.uuids))
    return covered


def _report_shared(index: dict[str, _Holders], junk: set[tuple[str, str]], roots: list[int],
                   assets: dict[int, ResolvedAsset]) -> None:
    """Serials and UUIDs left on several assets: name them on each asset (reconcile reports them)."""
    for key in ("serial", "uuid"):
        for value, h in index[key].items():
            if isinstance(h, int) or (key, value) in junk:
                continue
            owners = {roots[i] for i in h}
            if len(owners) > 1:
                shared = SharedIdentifier(key, value, tuple(sorted(assets[r].asset_id for r in owners)))
                for r in owners:
                    assets[r].shared.append(shared)


def _ranked(members: Sequence[SubjectFacts], lists: Sequence[tuple[str, ...]]) -> list[str]:
    """Distinct values of one list attribute over all members (`lists`, one per member), most recent first.

    Each subject's own list is already most-recent-first, so rank by (subject's last sighting,
    position in its list), then by value. Members usually agree (an agent and the ARP sighting of
    its MAC report the same address): one distinct value needs no ranking.
    """
    agreed: tuple[str, ...] = ()
    for values in lists:
        if values and values != agreed:
            if agreed:
                break
            agreed = values
    else:  # every member that has values has the same ones: its own order stands
        if len(agreed) <= 1:
            return [agreed[0]] if agreed and agreed[0] else []
        return list(dict.fromkeys(filter(None, agreed)))
    best: dict[str, tuple[float, int]] = {}
    for f, values in zip(members, lists, strict=True):
        stamp = -f.last_seen.timestamp()
        for position, value in enumerate(values):
            if value:
                rank = (stamp, position)
                old = best.get(value)
                if old is None or rank < old:
                    best[value] = rank
    return [v for v, _ in sorted(best.items(), key=lambda kv: (kv[1], kv[0]))]


def _evidence_order(e: tuple[str, str, datetime, str]) -> datetime:
    return e[2]


def _merged_evidence(members: Sequence[SubjectFacts]) -> list[tuple[str, str, datetime, str]]:
    """The latest evidence per (source, method) over `members` (in order), newest first."""
    evidence: dict[tuple[str, str], tuple[str, str, datetime, str]] = {}
    for f in members:
        for ev in f.evidence:
            k = (ev[0], ev[1])
            if k not in evidence or ev[2] > evidence[k][2]:
                evidence[k] = ev
    merged = list(evidence.values())
    if len(merged) > 1:
        merged.sort(key=_evidence_order, reverse=True)
    return merged


_DESCRIPTIVE = attrgetter("vendor", "model", "device_type", "os", "os_family")
_LISTS = attrgetter("hostnames", "ips", "macs", "serials", "uuids")
_FIRST_SEEN_ORDER = attrgetter("first_seen", "subject")
_LAST_SEEN = attrgetter("last_seen")


def _build(members: list[SubjectFacts], keys: Mapping[str, str]) -> ResolvedAsset:
    """One asset from its member subjects; `keys`: subject -> the key that joined it (none: anchor).

    Members are ordered by first sighting; the earliest is the anchor that names the asset, except
    that a sighting attached by its address alone never anchors (and so never renames) an asset.
    Descriptive facts come from agents first (an agent knows its own machine best), then from the
    most recently seen member.
    """
    latest = members  # most recent first
    if len(members) > 1:  # (most assets have one member: nothing to order)
        members.sort(key=_FIRST_SEEN_ORDER)
        latest = sorted(members, key=_LAST_SEEN, reverse=True)  # stable: ties keep first-seen order
    anchor = members[0].subject
    if keys.get(anchor) == IP_AT_TIME:
        anchor = next((f.subject for f in members if keys.get(f.subject) != IP_AT_TIME), anchor)
    # Stable: agents first, each part most recent first; each fact from the first member that has it.
    preferred = sorted(latest, key=_not_agent) if len(latest) > 1 else latest
    described: list[str] = list(_DESCRIPTIVE(preferred[0]))
    for f in preferred[1:]:
        described = [mine or theirs for mine, theirs in zip(described, _DESCRIPTIVE(f), strict=True)]
    vendor, model, device_type, os, os_family = described
    sources: set[str] = set()
    has_software = False
    for f in members:
        sources.update(f.sources)
        has_software = has_software or f.has_software
    hostnames, ips, macs, serials, uuids = [_ranked(members, lists)
                                            for lists in zip(*map(_LISTS, members), strict=True)]
    # Few subjects carry a locally administered MAC: rank them only where one does.
    local_macs = _ranked(members, [f.local_macs for f in members]) if any(f.local_macs for f in members) else []
    return ResolvedAsset(
        asset_id_for(anchor), [f.subject for f in members],
        {f.subject: "anchor" if f.subject == anchor else keys.get(f.subject, "anchor") for f in members},
        hostnames, ips, macs, serials, uuids, vendor, model, device_type, os, os_family,
        members[0].first_seen, latest[0].last_seen, sorted(sources), has_software, _merged_evidence(members),
        local_macs=local_macs,
        firmware=next((f.firmware for f in preferred if f.firmware), ""))


def _not_agent(f: SubjectFacts) -> bool:
    return not f.subject.startswith("agent:")

"""Live inventory: a stored report reflected in the stored assets and findings within seconds.

A full refresh (refresh.py) loads every subject, resolves all of them, reconciles, evaluates every
rule over every install and rewrites the findings: 20-50 s at 100,000 machines and 15 M installs on
the 2-core machine under load (bench/bench_live.py prints it). A report changes a handful of
subjects, so the live path starts from the last full refresh's results (RefreshState) and, per
update, redoes only what those subjects can change, with the *same* functions on a subset:

1. identity: the touched subjects are closed over everything that can join them or could have
   joined them — every subject sharing a serial, UUID, MAC (own or L2-bound) or current host name,
   the address-only subjects sharing an address with them (IP-at-time) and the keyed holders of
   theirs, the members of the assets they were in, and the subjects of people's decisions naming
   them — under the old facts and the new ones, until nothing is added. Identity resolution
   (`resolve_assets`, the same call as a full refresh) over that closed set, in subject order, makes
   the same assets a full resolution would: no join, junk count or conflict check looks outside it;
2. reconciliation (the same `reconcile`) over the assets and records whose verdicts can change
   (`_scope`): the rebuilt assets, the records the new coverage reaches, what crossed the ghost
   window's start since the last update, closed over record matching, shared host names, serials and
   UUIDs, identity conflicts and address-only zombies; the findings of everything else are kept.
   After a register import it runs whole;
3. rules are evaluated for the rebuilt assets (licence rules, which count seats over all assets,
   whole), and for every asset once a day (exceptions expire by date);
4. only the assets and findings that differ from what was written are written.

Findings' `updated_at` is the time of the update that last changed the row (a full refresh touches
every open row). Everything else equals what a full refresh at the same moment stores: the
property test (tests/collector/inventory/test_live.py) replays random report sequences both ways,
with an untouched background estate and a window short enough for things to age out.
"""

from __future__ import annotations

import heapq
import ipaddress
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol, overload

from collector.domain.decisions import Decision, DuplicateRow
from collector.domain.findings import FindingRow
from collector.domain.model import IngestReport
from collector.domain.posture import Posture
from collector.inventory.decisions import ManualDecisions
from collector.inventory.gc import paused_gc
from collector.inventory.identity import ResolvedAsset, SubjectFacts
from collector.inventory.posture import asset_posture
from collector.inventory.reconcile import Coverage, Finding, Match, Record, reconcile
from collector.inventory.refresh import (
    InventoryStore,
    RefreshState,
    RuleEvaluator,
    Snapshot,
    duplicate_row,
    finding_rows,
    full_refresh_state,
    one_asset,
    resolve_assets,
    snapshot_of,
)

#: Rule evaluators by scope: None evaluates every rule for every asset; a collection of asset ids
#: evaluates the per-asset rules for those (licence rules whole): collector/rules/bridge.py, with the
#: vulnerability step beside it (collector/vulns/bridge.py). None: no rule step (no packs, no feed).
RulesFor = Callable[[Collection[str] | None], RuleEvaluator | None]

LICENCE = "licence"


class LiveStore(InventoryStore, Protocol):
    """What the live path needs beyond the refresh use case's reads and writes."""

    def load_subjects(self, subjects: Collection[str] | None = None) -> list[SubjectFacts]:
        """Sightings aggregated per subject, of `subjects` only when given."""

    def load_coverage(self, agents: Collection[str] | None = None) -> list[Coverage]:
        """Sweeps and agent runs, of the agent sources `agents` only when given."""

    def load_posture(self, subjects: Collection[str] | None = None) -> dict[str, Posture]:
        """subject -> its agent's posture, of `subjects` only when given."""

    def write_asset_changes(self, assets: Sequence[ResolvedAsset], matched: dict[str, Match],
                            gone: Collection[str], subjects: Collection[str],
                            posture: dict[str, Posture] | None = None) -> None:
        """Rewrite `assets` (with their posture), drop the assets `gone`, re-home the members in `subjects`."""

    def persist_finding_changes(self, changed: Sequence[FindingRow], resolved: Collection[str],
                                now: datetime) -> None:
        """(Re)write the findings `changed` and resolve the open ones `resolved`."""


@dataclass(frozen=True, slots=True)
class Change:
    """What a stored batch of reports touched: the live path's unit of work."""

    subjects: frozenset[str] = frozenset()
    agent_sources: frozenset[str] = frozenset()   # agents whose reports are coverage
    sweeps: bool = False                          # a completed sweep (coverage of its targets)
    records: bool = False                         # the register changed
    rebuild: bool = False                         # start again from a full refresh (decisions changed)
    rules: bool = False                           # evaluate every rule again (a vulnerability feed imported)

    def __or__(self, other: Change) -> Change:
        return Change(self.subjects | other.subjects, self.agent_sources | other.agent_sources,
                      self.sweeps or other.sweeps, self.records or other.records, self.rebuild or other.rebuild,
                      self.rules or other.rules)


@dataclass(frozen=True, slots=True)
class UpdateStats:
    """One live update, for the log and the benchmark."""

    touched: int              # subjects the reports named
    closure: int              # subjects re-resolved
    assets: int               # assets rebuilt
    written_assets: int
    written_findings: int
    resolved_findings: int
    seconds: float
    full: bool = False        # a full refresh ran instead
    phases: tuple[tuple[str, float], ...] = ()  # (step, seconds): identity, reconcile, assets, rules, findings


def change_of(reports: Iterable[IngestReport]) -> Change:
    """What a batch of stored reports touched: their subjects, agent coverage, completed sweeps."""
    subjects: set[str] = set()
    agents: set[str] = set()
    sweeps = False
    for r in reports:
        for s in r.sightings:
            subjects.add(s.subject)
            if s.method == "agent":
                agents.add(r.source_id)
        subjects.update(inv.subject for inv in r.inventories)
        sweeps = sweeps or any(run.complete for run in r.scan_runs)
    return Change(frozenset(subjects), frozenset(agents), sweeps)


# --- identity closure (pure) -----------------------------------------------------------------

_Link = tuple[str, str]


def _lonely(f: SubjectFacts) -> bool:
    """An address-only subject, as the store's IP-at-time query defines it (inventory._SUBJECTS_SQL)."""
    return f.subject.startswith("ip:") and not (f.hostnames or f.macs or f.serials or f.uuids)


def _links(f: SubjectFacts) -> list[_Link]:
    """The identifier values through which `f` can meet another subject in identity resolution.

    Serials, UUIDs, MACs (own and L2-bound share one namespace: a binding joins the MAC's holders),
    the current host name (the only one that is identity), and addresses: an address-only subject
    meets every holder of its address, a keyed subject meets the address-only holders of its own
    ('ip' / 'lonely' below: keyed holders of one address never meet each other through it).
    """
    links: list[_Link] = [("serial", v) for v in f.serials]
    links += [("uuid", v) for v in f.uuids]
    links += [("mac", v) for v in (*f.macs, *f.bound_macs)]
    if f.hostnames:
        links.append(("host", f.hostnames[0]))
    links += [("ip", v) for v in f.ips]
    if _lonely(f):
        links += [("lonely", v) for v in f.ips]
    return links


class _Index:
    """Link value -> the subjects carrying it, over every subject's current facts."""

    def __init__(self) -> None:
        self._holders: dict[_Link, set[str]] = {}
        self._links: dict[str, list[_Link]] = {}
        self._lonely: set[str] = set()

    def put(self, f: SubjectFacts) -> None:
        """Index `f` (replacing what its subject carried before)."""
        self.drop(f.subject)
        links = _links(f)
        self._links[f.subject] = links
        if _lonely(f):
            self._lonely.add(f.subject)
        for link in links:
            held = self._holders.get(link)
            if held is None:
                self._holders[link] = {f.subject}
            else:
                held.add(f.subject)

    def drop(self, subject: str) -> None:
        """Forget `subject`."""
        self._lonely.discard(subject)
        for link in self._links.pop(subject, ()):
            held = self._holders.get(link)
            if held is not None:
                held.discard(subject)
                if not held:
                    del self._holders[link]

    def neighbours(self, subject: str) -> set[str]:
        """Every subject that shares a link with `subject`."""
        out: set[str] = set()
        lonely = subject in self._lonely
        for kind, value in self._links.get(subject, ()):
            if kind == "ip":  # keyed holders meet the address-only ones; address-only ones meet all
                out |= self._holders.get(("ip" if lonely else "lonely", value), set())
            elif kind != "lonely":
                out |= self._holders.get((kind, value), set())
        return out


# --- the live state --------------------------------------------------------------------------


class LiveInventory:
    """The last refresh's results, kept current by incremental updates; one per collector.

    Not thread-safe: the caller serialises `rebuild`, `update` and `snapshot` (the collector's
    refresh lock does).
    """

    def __init__(self, store: LiveStore, *, ghost_after: timedelta, rules_for: RulesFor | None = None) -> None:
        self._store = store
        self._ghost_after = ghost_after
        self._rules_for = rules_for
        self._seeded = False
        self._facts: dict[str, SubjectFacts] = {}
        self._index = _Index()
        self._assets: dict[str, ResolvedAsset] = {}
        self._order: dict[str, str] = {}            # asset_id -> its smallest subject (resolve's order)
        self._asset_of: dict[str, str] = {}         # subject -> asset_id
        self._records: list[Record] = []
        self._scans: list[Coverage] = []
        self._agent_runs: dict[str, list[Coverage]] = {}
        self._decisions: list[Decision] = []
        self._decided: dict[str, set[str]] = {}     # subject -> the other subjects its decisions name
        self._states: dict[int, str] = {}
        self._apart: set[frozenset[str]] = set()
        self._postures: dict[str, Posture] = {}     # subject -> its agent's posture
        self._posture: dict[str, Posture] = {}      # asset_id -> the posture it is written and judged with
        self._rules_by_asset: dict[str, list[Finding]] = {}
        self._licence: list[Finding] = []
        self._rules_day: date | None = None
        self._written: dict[str, tuple[int, str, str, str]] = {}  # asset_id -> what its stored row came from
        self._rows: dict[str, FindingRow] = {}       # the open findings as stored
        # id(finding) -> (the finding, kept alive so its id is not reused; its asset's row; its row)
        self._row_of: dict[int, tuple[Finding, tuple[int, str, str, str] | None, FindingRow]] = {}
        self._recon: list[Finding] = []              # reconciliation's findings, as of the last update
        self._matched: dict[str, Match] = {}
        self._recon_at: datetime | None = None
        self._by_record = _RecordIndex([])
        self._values = _AssetValues()
        self._held: _Held | None = None  # what the last refresh or update gave, never changed after
        self.last: UpdateStats | None = None  # the last incremental update
        self.rebuilds = 0   # full refreshes the live state started from
        self.updates = 0    # incremental updates since

    @property
    def seeded(self) -> bool:
        """True once a full refresh has given the live state its start."""
        return self._seeded

    # --- full refresh ----------------------------------------------------------------------

    def rebuild(self, now: datetime) -> Snapshot:
        """A full refresh (persisted), and the live state started again from its results."""
        rules = self._rules_for(None) if self._rules_for else None
        snapshot, state = full_refresh_state(self._store, now=now, ghost_after=self._ghost_after, rules=rules)
        with paused_gc():
            self._seed(state, snapshot, now)
        self.rebuilds += 1
        return snapshot

    def _seed(self, state: RefreshState, snapshot: Snapshot, now: datetime) -> None:
        self._facts = {f.subject: f for f in state.facts}
        self._index = _Index()
        for f in state.facts:
            self._index.put(f)
        self._assets, self._order, self._asset_of = {}, {}, {}
        self._values = _AssetValues()
        self._place(state.assets)
        self._records = state.records
        self._by_record = _RecordIndex(state.records)
        self._recon = state.reconciled
        self._matched = dict(state.matched)
        self._recon_at = now
        self._scans = [c for c in state.coverage if c.method != "agent"]
        self._agent_runs = {}
        for c in state.coverage:
            if c.method == "agent":
                self._agent_runs.setdefault(c.source, []).append(c)
        self._decisions = state.decisions
        self._decided = {}
        for d in state.decisions:
            if d.undone_at is None:
                named = {d.subject, *d.others}
                for s in named:
                    self._decided.setdefault(s, set()).update(named - {s})
        self._states = {d.decision_id: d.state for d in snapshot.decisions}
        self._apart = set(state.apart)
        self._postures = dict(state.postures)
        self._posture = asset_posture(state.assets, state.postures)
        self._rules_by_asset, self._licence = _split_rules(state.rule_findings)
        self._rules_day = now.date() if self._rules_for else None
        self._written = {a.asset_id: _written(a, state.matched.get(a.asset_id)) for a in state.assets}
        self._rows = {r.finding_id: r for r in state.rows}
        self._row_of = {}
        for found in (*state.reconciled, *state.rule_findings):
            row = self._rows.get(found.finding_id)
            if row is not None:
                self._row_of[id(found)] = (
                    found, self._written.get(found.asset.asset_id) if found.asset is not None else None, row)
        self._held = _Held(dict(self._assets), _SortedFacts(self._facts), dict(self._matched), snapshot.decisions,
                           [*state.reconciled, *state.rule_findings], snapshot)
        self._seeded = True

    def _place(self, assets: Iterable[ResolvedAsset]) -> None:
        for a in assets:
            self._assets[a.asset_id] = a
            self._values.add(a)
            self._order[a.asset_id] = min(a.members)
            for s in a.members:
                self._asset_of[s] = a.asset_id

    # --- incremental update ------------------------------------------------------------------

    def update(self, change: Change, now: datetime) -> UpdateStats:
        """Bring the stored assets and findings up to date with what `change` names, at `now`.

        Before the first full refresh (or when `change` asks for one) this is a full refresh.
        """
        started = time.perf_counter()
        if not self._seeded or change.rebuild:
            self.rebuild(now)
            return UpdateStats(len(change.subjects), len(self._facts), len(self._assets), len(self._assets),
                               len(self._rows), 0, time.perf_counter() - started, full=True)
        with paused_gc():
            return self._update(change, now, started)

    def _update(self, change: Change, now: datetime, started: float) -> UpdateStats:
        store = self._store
        phases: list[tuple[str, float]] = []
        mark = started

        def lap(name: str) -> None:
            nonlocal mark
            t = time.perf_counter()
            phases.append((name, t - mark))
            mark = t

        closure = self._close(change.subjects) if change.subjects else set()
        old_ids = {self._asset_of[s] for s in closure if s in self._asset_of}
        gone: list[ResolvedAsset] = []
        new_assets: list[ResolvedAsset] = []
        if closure:
            facts = [self._facts[s] for s in sorted(closure) if s in self._facts]
            bound = {d.decision_id for d in self._decisions if d.undone_at is None
                     and (d.subject in closure or any(o in closure for o in d.others))}
            manual = ManualDecisions([d for d in self._decisions if d.decision_id in bound])
            new_assets, apart = resolve_assets(facts, manual)
            self._states.update({k: v for k, v in manual.states.items() if k in bound})
            self._apart = {p for p in self._apart if not p & old_ids} | set(apart)
            for asset_id in old_ids:
                old = self._assets.pop(asset_id)
                gone.append(old)
                self._values.drop(old)
                del self._order[asset_id]
                for s in old.members:
                    if self._asset_of.get(s) == asset_id:
                        del self._asset_of[s]
            for s in closure - self._facts.keys():
                self._asset_of.pop(s, None)
            self._place(new_assets)
            # Posture is per agent subject (its freshest report): the closure's, reloaded, speak for the
            # rebuilt assets, exactly as asset_posture picks for a full refresh.
            loaded_posture = store.load_posture(closure)
            for s in closure:
                p = loaded_posture.get(s)
                if p is None:
                    self._postures.pop(s, None)
                else:
                    self._postures[s] = p
            for asset_id in old_ids:
                self._posture.pop(asset_id, None)
            self._posture.update(asset_posture(new_assets, self._postures))
        nets: set[str] = set()
        if change.records:
            self._records = store.load_records()
            self._by_record = _RecordIndex(self._records)
        if change.sweeps or change.agent_sources:
            loaded = store.load_coverage(change.agent_sources)
            old_scans = {(c.source, c.at, c.networks) for c in self._scans}
            self._scans = [c for c in loaded if c.method != "agent"]
            nets.update(n for c in self._scans if (c.source, c.at, c.networks) not in old_scans for n in c.networks)
            for source in change.agent_sources:
                nets.update(n for c in self._agent_runs.pop(source, ()) for n in c.networks)
            for c in loaded:
                if c.method == "agent":
                    self._agent_runs.setdefault(c.source, []).append(c)
                    nets.update(c.networks)
        lap("identity")
        order = self._order
        if change.records:  # every record may match differently: reconcile the whole
            scope_ids, scope_records = set(self._assets), set(range(len(self._records)))
        else:
            scope_ids, scope_records = self._scope(new_assets, gone, nets, bool(change.sweeps or change.agent_sources),
                                                   self._runs(), now)
        sub_assets = sorted((self._assets[i] for i in scope_ids), key=lambda a: order[a.asset_id])
        sub_records = [self._records[i] for i in sorted(scope_records)]
        coverage = self._coverage() if change.records else self._coverage(sub_records)
        found, matches = reconcile(sub_assets, sub_records, coverage, now=now,
                                   ghost_after=self._ghost_after, apart=frozenset(self._apart))
        dropped = scope_ids | old_ids
        keys = {(r.register, r.record_key) for r in sub_records}
        self._recon = [f for f in self._recon if not _touches(f, dropped, keys)] + found
        for asset_id in dropped:
            self._matched.pop(asset_id, None)
        self._matched.update({m.asset.asset_id: m for m in matches})
        self._recon_at = now
        matched = self._matched
        findings = list(self._recon)
        lap(f"reconcile ({len(sub_assets)} assets, {len(sub_records)} records)")
        rewrite = []
        for a in sub_assets:
            written = _written(a, matched.get(a.asset_id))
            if self._written.get(a.asset_id) != written:
                self._written[a.asset_id] = written
                rewrite.append(a)
        removed = {i for i in old_ids if i not in self._assets}
        for asset_id in removed:
            self._written.pop(asset_id, None)
        if rewrite or removed or closure:
            store.write_asset_changes(rewrite, matched, removed, closure, self._posture)
        lap("assets")
        rule_findings = self._rule_findings({a.asset_id for a in new_assets}, old_ids, now, change.rules)
        lap("rules")
        # Findings nobody touched are the same objects as at the last update: their rows are reused while
        # their asset's stored row is the same (and kept in finding_rows' order: the first of an id wins).
        opened = {k: r.opened_at for k, r in self._rows.items() if r.opened_at}
        current: dict[str, FindingRow] = {}
        cache: dict[int, tuple[Finding, tuple[int, str, str, str] | None, FindingRow]] = {}
        for f in (*findings, *rule_findings):
            sig = self._written.get(f.asset.asset_id) if f.asset is not None else None
            held = self._row_of.get(id(f))
            if held is not None and held[0] is f and held[1] == sig and self._rows.get(held[2].finding_id) is held[2]:
                row = held[2]
            else:
                (row,) = finding_rows([f], matched, opened, now)
            cache[id(f)] = (f, sig, row)
            current.setdefault(row.finding_id, row)
        self._row_of = cache
        findings += rule_findings
        rows = list(current.values())
        changed = [r for r in rows if self._rows.get(r.finding_id) is not r and self._rows.get(r.finding_id) != r]
        resolved = self._rows.keys() - current.keys()
        if changed or resolved:
            store.persist_finding_changes(changed, resolved, now)
        self._rows = current
        decisions = sorted((_stated(d, self._states) for d in self._decisions), key=lambda d: d.decision_id,
                           reverse=True)
        # The Snapshot (sorted assets and findings) is built when a query asks, not on every update.
        self._held = _Held(dict(self._assets), _SortedFacts(self._facts), dict(matched), decisions, findings,
                           rows=rows)
        self.updates += 1
        lap("findings")
        self.last = UpdateStats(len(change.subjects), len(closure), len(new_assets), len(rewrite) + len(removed),
                                len(changed), len(resolved), time.perf_counter() - started, phases=tuple(phases))
        return self.last

    def _scope(self, rebuilt: Sequence[ResolvedAsset], gone: Sequence[ResolvedAsset], nets: set[str],
               coverage_changed: bool, coverage: Iterable[Coverage], now: datetime) -> tuple[set[str], set[int]]:
        """The assets and records whose verdicts this update can change, closed over what they depend on.

        Starts from the rebuilt assets (and the values of the ones they replace), the records the new
        coverage reaches (`nets`; every record without an address when any coverage came), and what
        crossed the ghost window's start since the last reconciliation (assets last seen then, runs that
        aged out); then adds, until nothing is added: the records an asset's serials, MACs and host
        names can match and the record it matched last; the assets those records can match; the assets
        sharing a host name (duplicates), a serial or UUID, or an identity conflict with it; and the
        keyed holders of an address-only asset's addresses and the other way round (address-only zombies).
        Reconciling exactly these gives the findings a whole reconciliation gives them.
        """
        records: set[int] = set()
        frontier: list[ResolvedAsset] = [*rebuilt, *gone]
        if self._ghost_after > timedelta(0) and self._recon_at is not None and now > self._recon_at:
            before, start = self._recon_at - self._ghost_after, now - self._ghost_after
            # Unseen since at most `start` makes a ghost (reconcile's unseen_before); a run leaves the window
            # when it ended before `start`; a never-seen record is unseen since its first run *began*.
            frontier += [a for a in self._assets.values() if before <= a.last_seen <= start]
            aged = [c for c in coverage if before <= c.at < start or before <= c.began <= start]
            if aged:
                nets.update(n for c in aged for n in c.networks)
                coverage_changed = True
        if nets:
            records |= self._by_record.in_networks(nets)
        if coverage_changed:
            records |= self._by_record.no_address
        ids: set[str] = {a.asset_id for a in frontier if a.asset_id in self._assets}
        pending_records = set(records)
        while frontier or pending_records:
            more: set[str] = set()
            for a in frontier:
                for i in self._by_record.matching(a):
                    if i not in records:
                        records.add(i)
                        pending_records.add(i)
                m = self._matched.get(a.asset_id)
                if m is not None:
                    i = self._by_record.position[(m.record.register, m.record.record_key)]
                    if i not in records:
                        records.add(i)
                        pending_records.add(i)
                more |= self._values.related(a)
            for i in pending_records:
                more |= self._values.matching(self._records[i])
            pending_records = set()
            frontier = [self._assets[x] for x in more - ids if x in self._assets]
            ids |= more & self._assets.keys()
        return ids, records

    def snapshot(self) -> Snapshot:
        """What the last refresh or update gave (the Query service answers from it)."""
        assert self._held is not None, "no refresh yet"
        return self._held.snapshot()

    def asset_cut(self, asset_id: str) -> Snapshot | None:
        """The last refresh or update's Snapshot cut down to the asset `asset_id` (None when no asset has
        that id, or before the first refresh): what the dashboard's asset page reads.

        Why not snapshot(): building the whole one sorts every asset and finding (about a second at
        100,000 machines), for a page about one asset that must show a report seconds after it came.
        Safe from any thread without the update lock: what it reads is replaced whole, never changed.
        """
        held = self._held
        return held.cut(asset_id) if held is not None else None

    def _close(self, touched: Collection[str]) -> set[str]:
        """The touched subjects and everything identity resolution could join them with, before or now.

        First closed under the old facts and assets (links, asset members, people's decisions), then
        the facts of the whole set are reloaded and it is closed under the new links too; reloaded
        again whenever that adds subjects, because a keyed subject's facts depend on the address-only
        subjects loaded beside it (IP-at-time), so only a closed set is loaded exactly.
        """
        closure: set[str] = set()
        frontier = set(touched)
        while True:
            while frontier:  # under the old facts and assets
                closure |= frontier
                reached: set[str] = set()
                for s in frontier:
                    reached |= self._index.neighbours(s)
                    asset_id = self._asset_of.get(s)
                    if asset_id is not None:
                        reached.update(self._assets[asset_id].members)
                    reached |= self._decided.get(s, set())
                frontier = reached - closure
            loaded = {f.subject: f for f in self._store.load_subjects(closure)}
            for s in closure:
                f = loaded.get(s)
                if f is None:
                    self._facts.pop(s, None)
                    self._index.drop(s)
                elif self._facts.get(s) != f:
                    self._facts[s] = f
                    self._index.put(f)
            for s in closure:  # under the new ones
                frontier |= self._index.neighbours(s)
            frontier -= closure
            if not frontier:
                return closure

    def _runs(self) -> Iterator[Coverage]:
        """Every coverage run, in no particular order."""
        yield from self._scans
        for share in self._agent_runs.values():
            yield from share

    def _coverage(self, records: Sequence[Record] | None = None, keep: int = 5) -> list[Coverage]:
        """Sweeps, then agent runs newest first (ties by source), as the store's load_coverage orders them;
        with `records`, only the runs a ghost check of those records can cite.

        A ghost cites the newest `keep` runs over its addresses (the newest overall when it has none),
        inside the window, newest first, and a never-seen record counts from the first run over its
        addresses (over anything when it has none) (reconcile._CoverageIndex): the runs over the
        records' networks, the newest `keep` overall (all runs as new as the `keep`-th, for ties) and
        the run(s) that began first give each of them the same answer as every run, in the same order.
        At 240,000 agent runs that is a few hundred for an update, found without sorting them all;
        network lists repeat (every agent of a subnet reports the same one), so each is judged once.
        """
        chosen: Iterable[Coverage] = self._runs()
        if records is not None:
            wanted = {parsed for r in records for ip in r.ips if (parsed := _address(ip)) is not None}
            newest = heapq.nlargest(keep, (c.at for c in self._runs()))
            threshold = newest[-1] if newest else None
            # A never-seen record without an address is unseen since the first run of all began.
            earliest = min((c.began for c in self._runs()), default=None)
            judged: dict[tuple[str, ...], bool] = {}

            def cited(c: Coverage) -> bool:
                if (threshold is not None and c.at >= threshold) or c.began == earliest:
                    return True
                hit = judged.get(c.networks)
                if hit is None:
                    hit = judged[c.networks] = any(
                        v == version and value & mask == base
                        for version, base, mask in _networks(c.networks) for v, value in wanted)
                return hit

            chosen = [c for c in self._runs() if cited(c)]
        scans = {id(c) for c in self._scans}
        runs = [c for c in chosen if id(c) not in scans]
        runs.sort(key=lambda c: c.source)
        runs.sort(key=lambda c: c.at, reverse=True)
        kept = {id(c) for c in chosen} if records is not None else scans
        return [*(c for c in self._scans if id(c) in kept), *runs]

    def _rule_findings(self, rebuilt: set[str], old_ids: set[str], now: datetime, whole: bool = False) -> list[Finding]:
        """Rule findings (rule packs, posture, vulnerabilities): the rebuilt assets' evaluated, the others'
        kept (all of them once a day, and when `whole`: a vulnerability feed was imported)."""
        if self._rules_for is None:
            return []
        by_id = self._assets
        if whole or self._rules_day != now.date():
            every = self._rules_for(None)
            found = every(now, by_id, self._posture) if every is not None else []
            self._rules_by_asset, self._licence = _split_rules(found)
            self._rules_day = now.date()
        else:
            for asset_id in old_ids:
                self._rules_by_asset.pop(asset_id, None)
            some = self._rules_for(rebuilt)
            found = some(now, by_id, self._posture) if some is not None else []
            fresh, licence = _split_rules(found)
            self._rules_by_asset.update(fresh)
            self._licence = licence
        out = [f for asset_id in sorted(self._rules_by_asset) for f in self._rules_by_asset[asset_id]]
        return out + self._licence


def _smallest_member(a: ResolvedAsset) -> str:
    """Resolution's order of assets: by their smallest subject (the order identity.resolve returns them)."""
    return min(a.members)


def _networks(texts: Iterable[str]) -> list[tuple[int, int, int]]:
    """(IP version, network address, netmask) as integers, of each parsable network."""
    out: list[tuple[int, int, int]] = []
    for text in texts:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        out.append((net.version, int(net.network_address), int(net.netmask)))
    return out


def _touches(f: Finding, ids: set[str], keys: set[tuple[str, str]]) -> bool:
    """Whether a reconciliation finding concerns one of the assets `ids` or records `keys`."""
    if f.asset is not None and f.asset.asset_id in ids:
        return True
    if f.record is not None and (f.record.register, f.record.record_key) in keys:
        return True
    d = f.duplicate
    return d is not None and (any(a.asset_id in ids for a in d.assets)
                              or any((r.register, r.record_key) in keys for r in d.records))


class _RecordIndex:
    """The register by the values reconciliation matches on, and by address (for coverage changes)."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.position = {(r.register, r.record_key): i for i, r in enumerate(records)}
        self._by: dict[tuple[str, str], list[int]] = {}
        self._addresses: list[tuple[int, int, int]] = []   # (record, IP version, address as int)
        self.no_address: set[int] = set()
        for i, r in enumerate(records):
            for key in (("serial", r.serial), ("host", r.hostname), *(("mac", m) for m in r.macs)):
                if key[1]:
                    self._by.setdefault(key, []).append(i)
            parsed = [ip for ip in map(_address, r.ips) if ip is not None]
            if not parsed:
                self.no_address.add(i)
            self._addresses += [(i, version, value) for version, value in parsed]

    def matching(self, a: ResolvedAsset) -> set[int]:
        """Records that can match `a` by serial, MAC or host name."""
        by = self._by
        out: set[int] = set()
        for key in (*(("serial", v) for v in a.serials), *(("mac", v) for v in a.macs),
                    *(("host", v) for v in a.hostnames)):
            out.update(by.get(key, ()))
        return out

    def in_networks(self, networks: Iterable[str]) -> set[int]:
        """Records with an address inside any of `networks`."""
        nets = _networks(networks)
        return {i for i, version, value in self._addresses
                for v, base, mask in nets if v == version and value & mask == base}


def _address(text: str) -> tuple[int, int] | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.version, int(ip)


class _AssetValues:
    """The current assets by serial, MAC, host name (any) and address: what ties verdicts together."""

    def __init__(self) -> None:
        self._by: dict[tuple[str, str], set[str]] = {}
        self._address_only: set[str] = set()

    @staticmethod
    def _keys(a: ResolvedAsset) -> list[tuple[str, str]]:
        keys = [("serial", v) for v in a.serials]
        keys += [("mac", v) for v in a.macs]
        keys += [("host", v) for v in a.hostnames]
        keys += [("ip", v) for v in a.ips]
        return keys

    def add(self, a: ResolvedAsset) -> None:
        for key in self._keys(a):
            self._by.setdefault(key, set()).add(a.asset_id)
        if _address_only(a):
            self._address_only.add(a.asset_id)

    def drop(self, a: ResolvedAsset) -> None:
        self._address_only.discard(a.asset_id)
        for key in self._keys(a):
            held = self._by.get(key)
            if held is not None:
                held.discard(a.asset_id)
                if not held:
                    del self._by[key]

    def matching(self, r: Record) -> set[str]:
        """Assets a record can match (serial, MACs, host name)."""
        out: set[str] = set()
        for key in (("serial", r.serial), ("host", r.hostname), *(("mac", m) for m in r.macs)):
            if key[1]:
                out |= self._by.get(key, set())
        return out

    def related(self, a: ResolvedAsset) -> set[str]:
        """Assets whose verdicts depend on `a`'s: a host name in common (duplicates), a shared serial or
        UUID or an identity conflict, and an address in common between an address-only asset and a
        keyed one (an address-only zombie is silent while a keyed asset holds its address). Keyed
        assets sharing a past address (DHCP) do not depend on each other: not followed."""
        out: set[str] = set()
        for v in a.hostnames:
            out |= self._by.get(("host", v), set())
        for s in a.shared:
            out.update(s.asset_ids)
        for c in a.conflicts:
            out.update(c.asset_ids)
        alone = _address_only(a)
        for v in a.ips:
            held = self._by.get(("ip", v), set())
            out |= held if alone else held & self._address_only
        return out


def _address_only(a: ResolvedAsset) -> bool:
    """As reconcile judges it: no host name, MAC, serial or UUID."""
    return not (a.hostnames or a.macs or a.serials or a.uuids)


class _Held:
    """One refresh or update's results, kept unchanged for readers while the next update runs.

    The Snapshot is built when a query first asks, not on every update; a cut of one asset needs no
    Snapshot at all.
    """

    def __init__(self, assets: dict[str, ResolvedAsset], facts: _SortedFacts, matched: dict[str, Match],
                 decisions: list[Decision], findings: Sequence[Finding], snapshot: Snapshot | None = None,
                 rows: list[FindingRow] | None = None) -> None:
        self.assets, self.facts, self.matched, self.decisions = assets, facts, matched, decisions
        self._findings, self._rows = findings, rows
        self._snapshot = snapshot
        self._duplicates: list[DuplicateRow] | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None:
                assert self._rows is not None
                self._snapshot = snapshot_of(sorted(self.assets.values(), key=_smallest_member), self._rows,
                                             self._findings, self.matched, self.decisions, self.facts)
            return self._snapshot

    def cut(self, asset_id: str) -> Snapshot | None:
        asset = self.assets.get(asset_id)
        if asset is None:
            return None
        if self._duplicates is None:  # a few among every finding: found once per update, on demand
            self._duplicates = [duplicate_row(f) for f in self._findings if f.duplicate is not None]
        match = self.matched.get(asset_id)
        return one_asset(asset, (f for s in sorted(asset.members) if (f := self.facts.get(s)) is not None),
                         match.record if match else None, match.key if match else None, self._duplicates,
                         self.decisions)


class _SortedFacts(Sequence[SubjectFacts]):
    """The subjects' facts in subject order, sorted only if someone reads them (`assets explain`)."""

    def __init__(self, facts: dict[str, SubjectFacts]) -> None:
        self._facts = dict(facts)
        self._sorted: list[SubjectFacts] | None = None

    def _list(self) -> list[SubjectFacts]:
        if self._sorted is None:
            self._sorted = [self._facts[s] for s in sorted(self._facts)]
        return self._sorted

    def __len__(self) -> int:
        return len(self._facts)

    def get(self, subject: str) -> SubjectFacts | None:
        return self._facts.get(subject)

    @overload
    def __getitem__(self, index: int) -> SubjectFacts: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SubjectFacts]: ...
    def __getitem__(self, index: int | slice) -> SubjectFacts | Sequence[SubjectFacts]:
        return self._list()[index]


def _split_rules(found: Iterable[Finding]) -> tuple[dict[str, list[Finding]], list[Finding]]:
    """Rule findings per asset (deny, allow, require) and the licence ones (seats are counted over all)."""
    per_asset: dict[str, list[Finding]] = {}
    licence: list[Finding] = []
    for f in found:
        if f.kind == LICENCE:
            licence.append(f)
        elif f.asset is not None:
            per_asset.setdefault(f.asset.asset_id, []).append(f)
    return per_asset, licence


def _stated(d: Decision, states: dict[int, str]) -> Decision:
    return replace(d, state=states.get(d.decision_id, "not applied"))


def _written(a: ResolvedAsset, m: Match | None) -> tuple[int, str, str, str]:
    """What an asset's stored row is made of: the asset object (rebuilt assets are new objects) and its record."""
    return (id(a), m.record.register, m.record.record_key, m.key) if m else (id(a), "", "", "")


class LiveLoop:
    """Applies stored changes to a LiveInventory on a thread of its own, and lets callers wait for them.

    `mark` is called by the ingest writer after each commit (before the acks go out) and returns a
    ticket; the loop takes every change marked so far as one update, so a burst of reports costs a
    few updates, not one each. `wait(ticket)` returns once an update covering the ticket is stored:
    that is how a test (or a caller that must read its own write) waits without sleeping.
    """

    def __init__(self, run: Callable[[Change], object], *, tick: timedelta | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        self._run = run
        self._tick = tick.total_seconds() if tick and tick > timedelta(0) else None
        self._on_error = on_error
        self._cond = threading.Condition()
        self._pending: Change | None = None
        # Ticket 1 is the first update (a full refresh), so a caller that waits before it ran (a
        # test, a query right after start) waits for it instead of reading an empty state.
        self._marked = 1
        self._applied = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="netcensus-live", daemon=True)

    def start(self) -> None:
        """Start the loop (its first update is a full refresh unless the state was seeded already)."""
        self._thread.start()

    def mark(self, change: Change) -> int:
        """Queue `change`; returns the ticket `wait` takes."""
        with self._cond:
            self._pending = change if self._pending is None else self._pending | change
            self._marked += 1
            self._cond.notify_all()
            return self._marked

    @property
    def marked(self) -> int:
        """The newest ticket handed out (every change marked so far is covered by it)."""
        return self._marked

    def run_now(self) -> None:
        """Apply what is pending in the caller's thread (a query that must see every stored report)."""
        with self._cond:
            change, self._pending = self._pending, None
            ticket = self._marked
        try:
            self._run(change or Change())
        except BaseException:
            with self._cond:  # not applied: back in the queue for the loop (or the next caller)
                if change is not None:
                    self._pending = change if self._pending is None else self._pending | change
            raise
        with self._cond:
            self._applied = max(self._applied, ticket)
            self._cond.notify_all()

    def wait(self, ticket: int, timeout: float | None = None) -> bool:
        """Block until the change of `ticket` (and every earlier one) is stored; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._applied >= ticket or self._stopping, timeout)

    @property
    def applied(self) -> int:
        """The newest ticket whose change is stored."""
        return self._applied

    def stop(self) -> None:
        """Stop after the update in progress (pending changes are left to the next full refresh)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        first = True
        while True:
            with self._cond:
                if not first:
                    self._cond.wait_for(lambda: self._pending is not None or self._stopping, self._tick)
                if self._stopping:
                    return
                change, self._pending = self._pending or Change(), None
                ticket = self._marked
            first = False
            try:
                self._run(change)
            except Exception as exc:  # noqa: BLE001 - a failed update must not end live updates
                if self._on_error is not None:
                    self._on_error(exc)
                with self._cond:  # try it again with the next change (the store may be back)
                    self._pending = change if self._pending is None else self._pending | change
                    self._cond.wait_for(lambda: self._stopping, 1.0)
                continue
            with self._cond:
                self._applied = max(self._applied, ticket)
                self._cond.notify_all()

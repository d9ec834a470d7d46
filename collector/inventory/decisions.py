"""Manual merge and split decisions, applied inside identity resolution (pure; no I/O).

Keys cannot know everything: an SNMP half and an ARP half of one router with nothing in common, or
two machines a cloned image gave one serial. A person then decides, and the decision must hold on
every later refresh, restart and register re-import, be shown as the key `manual`, and be undoable.

Decisions name subjects (what reports call one thing), never asset ids, because an asset id is
derived from the asset's earliest subject and changes when an earlier one joins. Resolution
(identity.resolve) calls this module at two points and otherwise knows nothing of it:

* while key rules join subjects, `allow` vetoes any join that would put a split-off subject back
  together with a subject of the asset it was taken from — a manual split wins over every automatic
  key (serial included) and over IP-at-time; 'apart' (two assets are two devices, the answer to a
  false possible duplicate) is the same veto between one asset's anchor and the other's subjects;
* after the key rules, `merge` joins the two sides of every merge decision, unless a split keeps
  them apart (the split is the later, more specific word), and labels the join `manual` on the side
  that does not hold the merged asset's anchor.

A decision whose subjects are no longer seen is not dropped: its state says so ('stale: ...') and
`netcensus assets decisions` lists it. Decisions are few (people make them), so per-decision work
is fine; per-subject work is one dictionary per refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from collector.domain.decisions import APART, MERGE, SPLIT, Decision

if TYPE_CHECKING:
    from collector.inventory.identity import ResolvedAsset, SubjectFacts

MANUAL = "manual"


class _UnionFind(Protocol):
    """What this step needs of identity's union-find (identity._Components)."""

    parent: list[int]
    joined_by: dict[int, str]

    def find(self, x: int) -> int: ...


class ManualDecisions:
    """The standing decisions of one refresh, bound to its subjects.

    Create it from the stored decisions (undone ones are ignored), hand it to identity.resolve, then
    read `states` (decision id → state) for `netcensus assets decisions`.
    """

    def __init__(self, decisions: Sequence[Decision]) -> None:
        self.decisions = [d for d in decisions if d.undone_at is None]
        self.states: dict[int, str] = {d.decision_id: "undone" for d in decisions if d.undone_at is not None}
        # root index -> {(decision id, side)}: side 0 is the split-off subject, side 1 its old asset
        self._tags: dict[int, set[tuple[int, int]]] = {}
        self._position: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self.decisions)

    def bind(self, facts: Sequence[SubjectFacts]) -> None:
        """Index this refresh's subjects and mark the two sides of every split."""
        wanted = {s for d in self.decisions for s in (d.subject, *d.others)}
        self._position = {f.subject: i for i, f in enumerate(facts) if f.subject in wanted}
        for d in self.decisions:
            if d.action not in (SPLIT, APART):  # an 'apart' is a split of two assets that were never one
                continue
            gone = _gone(d, self._position)
            if gone:
                self.states[d.decision_id] = gone
                continue
            self._tags.setdefault(self._position[d.subject], set()).add((d.decision_id, 0))
            for other in d.others:
                if other in self._position:
                    self._tags.setdefault(self._position[other], set()).add((d.decision_id, 1))
            self.states[d.decision_id] = "applied"

    def allow(self, ra: int, rb: int) -> bool:
        """Whether roots ra and rb may become one component; if so, rb's marks move to ra (the caller joins)."""
        tags = self._tags
        if not tags:
            return True
        ta, tb = tags.get(ra), tags.get(rb)
        if tb is None:
            return True
        if ta is not None:
            if any((d, 1 - side) in ta for d, side in tb):
                return False
            ta |= tb
        else:
            tags[ra] = tb
        del tags[rb]
        return True

    def merge(self, comps: _UnionFind, facts: Sequence[SubjectFacts]) -> None:
        """Join the two sides of each merge decision (after the key rules), labelling the join `manual`."""
        merges = [d for d in self.decisions if d.action == MERGE]
        if not merges:
            return
        # Each root's earliest member, as identity._build orders members: the side holding the
        # merged asset's anchor keeps its labels, the other side's decision subject reads 'manual'.
        earliest: dict[int, tuple[datetime, str]] = {}
        for i, f in enumerate(facts):
            r = comps.find(i)
            key = (f.first_seen, f.subject)
            if r not in earliest or key < earliest[r]:
                earliest[r] = key
        for d in merges:
            gone = _gone(d, self._position)
            if gone:
                self.states[d.decision_id] = gone
                continue
            a, b = self._position[d.subject], self._position[d.others[0]]
            ra, rb = comps.find(a), comps.find(b)
            if ra == rb:
                self.states[d.decision_id] = "already joined by keys"
                continue
            blocking = self._blocking(ra, rb)
            if blocking:
                action = next((x.action for x in self.decisions if x.decision_id == blocking), SPLIT)
                self.states[d.decision_id] = f"blocked by {action} {blocking}"
                continue
            if earliest[rb] < earliest[ra]:
                ra, rb, a, b = rb, ra, b, a
            self.allow(ra, rb)
            comps.parent[rb] = ra
            earliest[ra] = min(earliest[ra], earliest.pop(rb))
            comps.joined_by[b] = MANUAL
            self.states[d.decision_id] = "applied"

    def _blocking(self, ra: int, rb: int) -> int:
        ta, tb = self._tags.get(ra, set()), self._tags.get(rb, set())
        return next((d for d, side in tb if (d, 1 - side) in ta), 0)

    def stated(self, decisions: Sequence[Decision]) -> list[Decision]:
        """`decisions` with the state this refresh gave each (newest first)."""
        return sorted((replace(d, state=self.states.get(d.decision_id, "not applied")) for d in decisions),
                      key=lambda d: d.decision_id, reverse=True)


def _gone(d: Decision, position: dict[str, int]) -> str:
    """Why a decision cannot apply any more ('' when it can): its subjects are no longer seen."""
    if d.subject not in position:
        return f"stale: {d.subject} is no longer seen"
    present = [o for o in d.others if o in position]
    if not present:
        what = d.others[0] if len(d.others) == 1 else f"none of the {len(d.others)} other subjects"
        return f"stale: {what} is no longer seen"
    return ""


def annotate(decisions: ManualDecisions, assets: Sequence[ResolvedAsset]) -> frozenset[frozenset[str]]:
    """Put each applied decision into its asset's evidence and sources; return the pairs splits keep apart.

    The evidence line makes the decision visible wherever the asset is (zombie and mismatch findings
    included): 'decision:N' / 'manual', when and by whom, and why; `assets` lists 'decision:N:manual'
    among the asset's sources ('<source>:<method>').
    """
    if not decisions:
        return frozenset()
    owner = {s: a for a in assets for s in a.members}
    apart: set[frozenset[str]] = set()
    for d in decisions.decisions:
        if decisions.states.get(d.decision_id) != "applied":
            continue
        home = owner.get(d.subject)
        if home is None:
            continue
        if d.action == MERGE:
            _mark(home, d, f"merged by {d.decided_by}: {d.reason}")
            continue
        if d.action == APART:
            detail = f"kept apart from {', '.join(d.asset_ids[1:]) or 'another asset'} by {d.decided_by}: {d.reason}"
        else:
            detail = f"{d.subject} split off by {d.decided_by}: {d.reason}"
        for held in {id(h): h for o in d.others if (h := owner.get(o)) is not None and h is not home}.values():
            apart.add(frozenset((home.asset_id, held.asset_id)))
            _mark(held, d, detail)
        _mark(home, d, detail)
    return frozenset(apart)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _mark(a: ResolvedAsset, d: Decision, detail: str) -> None:
    a.evidence.append((f"decision:{d.decision_id}", MANUAL, d.decided_at or _EPOCH, detail))
    a.sources = sorted({*a.sources, f"decision:{d.decision_id}:{MANUAL}"})

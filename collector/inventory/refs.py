"""What people type to name an asset (id, asset tag, host name, IP, MAC, subject), and the manual
decisions they ask for, checked against one refresh (pure; no I/O).

`netcensus assets explain|merge|split` accept the same references, with `--db` and over gRPC alike
(the collector runs these same functions). A reference that names several assets is refused with
the candidates listed, never guessed: a merge on a guess is worse than none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from collector.domain.decisions import APART, MERGE, SPLIT, Decision
from collector.domain.identifiers import normalise_mac
from collector.errors import UsageError
from collector.inventory.identity import ResolvedAsset
from collector.inventory.refresh import Snapshot

MAX_REASON = 500
_SHOWN = 5


def find_assets(ref: str, snapshot: Snapshot) -> list[ResolvedAsset]:
    """Every asset `ref` names: an asset id names one; otherwise tag, host name, IP, MAC, serial and subject count."""
    text = ref.strip()
    if not text:
        return []
    low = text.lower()
    by_id = [a for a in snapshot.assets if a.asset_id == low]
    if by_id:
        return by_id
    mac = normalise_mac(text)
    try:
        ip = str(ipaddress.ip_address(text))
    except ValueError:
        ip = ""
    found: dict[str, ResolvedAsset] = {}
    for a in snapshot.assets:
        r = snapshot.records.get(a.asset_id)
        if ((r is not None and r.asset_tag and r.asset_tag.lower() == low)
                or low in (h.lower() for h in a.hostnames)
                or (ip and ip in a.ips) or (mac and mac in a.macs) or text in a.members
                or text.upper() in a.serials):
            found[a.asset_id] = a
    return sorted(found.values(), key=lambda a: a.asset_id)


def one_asset(ref: str, snapshot: Snapshot) -> ResolvedAsset:
    """The one asset `ref` names; UsageError (one line) when it names none, or several (listing them)."""
    found = find_assets(ref, snapshot)
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"no asset matches {ref[:120]!r} (give an asset id, asset tag, host name, IP address, "
                         "MAC address, serial number or subject)")
    shown = "; ".join(f"{a.asset_id} ({label(a)})" for a in found[:_SHOWN])
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    raise UsageError(f"{ref[:120]!r} matches {len(found)} assets: {shown}{more}; name one by its asset id")


def label(a: ResolvedAsset) -> str:
    """host name / IP / MAC, as far as known."""
    parts = [a.hostnames[0] if a.hostnames else "", a.ips[0] if a.ips else "", a.macs[0] if a.macs else ""]
    return " / ".join(p for p in parts if p) or "no name"


def anchor(a: ResolvedAsset) -> str:
    """The subject that names the asset (its id is derived from it)."""
    return next((s for s, key in a.matched_by.items() if key == "anchor"), a.members[0])


def check_reason(reason: str) -> str:
    """A decision's reason: required (people read it later), one line, at most MAX_REASON characters."""
    text = " ".join(reason.split())
    if not text:
        raise UsageError("--reason is required: say why, for whoever reads the decision later")
    if len(text) > MAX_REASON:
        raise UsageError(f"--reason is {len(text)} characters; keep it under {MAX_REASON}")
    return text


def merge_request(snapshot: Snapshot, ref_a: str, ref_b: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(subject, others, asset ids) of a merge of the assets `ref_a` and `ref_b` name; UsageError if it cannot be."""
    a, b = one_asset(ref_a, snapshot), one_asset(ref_b, snapshot)
    if a.asset_id == b.asset_id:
        raise UsageError(f"{ref_a[:120]!r} and {ref_b[:120]!r} are the same asset ({a.asset_id}): nothing to merge")
    return anchor(a), (anchor(b),), (a.asset_id, b.asset_id)


def apart_request(snapshot: Snapshot, ref_a: str, ref_b: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(subject, others, asset ids) of keeping two assets apart for good; UsageError if it cannot be."""
    a, b = one_asset(ref_a, snapshot), one_asset(ref_b, snapshot)
    if a.asset_id == b.asset_id:
        raise UsageError(f"{ref_a[:120]!r} and {ref_b[:120]!r} are one asset ({a.asset_id}): to take a subject "
                         "out of it, use `netcensus assets split`")
    return anchor(a), tuple(b.members), (a.asset_id, b.asset_id)


def split_request(snapshot: Snapshot, ref: str, subject: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(subject, others, asset ids) of taking `subject` out of the asset `ref` names; UsageError if it cannot be."""
    a = one_asset(ref, snapshot)
    if subject not in a.members:
        raise UsageError(f"{subject[:120]!r} is not a subject of {a.asset_id} (its subjects: "
                         f"{_listed(a.members)}; see `netcensus assets explain {a.asset_id}`)")
    if len(a.members) == 1:
        raise UsageError(f"{subject[:120]!r} is the only subject of {a.asset_id}: nothing to split")
    return subject, tuple(m for m in a.members if m != subject), (a.asset_id,)


def request(snapshot: Snapshot, action: str, refs: Sequence[str], subject: str
            ) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """A merge (`refs` = A, B) or split (`refs` = A, with `subject`) checked against `snapshot`."""
    if action == MERGE and len(refs) == 2:
        return merge_request(snapshot, refs[0], refs[1])
    if action == APART and len(refs) == 2:
        return apart_request(snapshot, refs[0], refs[1])
    if action == SPLIT and len(refs) == 1 and subject:
        return split_request(snapshot, refs[0], subject)
    raise UsageError("a merge or apart names two assets; a split names one asset and a subject")


def _listed(values: Sequence[str]) -> str:
    more = f", and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return ", ".join(values[:_SHOWN]) + more


class DecisionStore(Protocol):
    """Where decisions are kept (collector/store/duckdb.py's Store)."""

    def add_decision(self, action: str, subject: str, others: Sequence[str], asset_ids: Sequence[str], reason: str,
                     who: str, now: datetime) -> int:
        """Store a decision; its id."""

    def undo_decision(self, decision_id: int, who: str, now: datetime) -> Decision | None:
        """Mark it undone; None when no standing decision has that id."""


def record_decision(store: DecisionStore, snapshot: Snapshot, *, action: str, refs: Sequence[str], subject: str,
                    reason: str, who: str, now: datetime) -> Decision:
    """Check a merge or split against `snapshot` and store it (the same for --db and the Admin service)."""
    why = check_reason(reason)
    subj, others, asset_ids = request(snapshot, action, refs, subject)
    decision_id = store.add_decision(action, subj, others, asset_ids, why, who, now)
    return Decision(decision_id, action, subj, others, asset_ids, why, who, now, state="recorded")


def undo_decision(store: DecisionStore, decision_id: int, *, who: str, now: datetime) -> Decision:
    """Undo a standing decision; UsageError when there is none of that id."""
    undone = store.undo_decision(decision_id, who, now)
    if undone is None:
        raise UsageError(f"no standing decision #{decision_id} (see `netcensus assets decisions`)")
    return replace(undone, state="undone")

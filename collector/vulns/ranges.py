"""Whether an installed version is affected by one OSV ``affected`` entry, and which version fixes it.

The evaluation is the OSV schema's own ("Evaluation" in the OSV specification): within each range,
events are sorted in the ecosystem's version order ("0" before everything); walking them, an
``introduced`` at or below the version opens the range, a ``fixed`` at or below it closes it, a
``last_affected`` below it closes it; ``limit`` events cap the range (a version at or above a limit
is outside). Ranges are OR-ed, and so is the explicit ``versions`` list (exact equality in the
ecosystem's order). ``GIT`` ranges are commit ranges and say nothing about package versions; they
are skipped. Versions are compared ``exact`` (collector/rules/versions.py): a Debian revision or an
RPM release is part of the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cmp_to_key, lru_cache

from collector.rules.versions import compare_versions

__all__ = ["Range", "Verdict", "evaluate"]

#: Event kinds in the order they sort among equal versions: a fix on the version it was
#: introduced in (a re-introduction) must not close the range it opens.
_EVENT_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}


@dataclass(frozen=True, slots=True)
class Range:
    """One range of an affected entry: its type (SEMVER or ECOSYSTEM) and its (kind, version) events."""

    type: str
    events: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one installed version.

    Attributes:
        affected: the version is inside a range or listed.
        fixed: the first fixed version above it in the range that holds it ("" if none is known:
            unfixed, or ``last_affected`` only).
        why: the range or list entry that decided, for the finding's evidence.
    """

    affected: bool
    fixed: str = ""
    why: str = ""


@lru_cache(maxsize=65536)
def _sorted_events(events: tuple[tuple[str, str], ...], scheme: str) -> tuple[tuple[str, str], ...]:
    """The events in version order (cached: every installed version of a package walks the same range)."""
    def order(a: tuple[str, str], b: tuple[str, str]) -> int:
        if a[1] == b[1] or (a[1] == "0" and b[1] == "0"):
            c = 0
        elif a[1] == "0" and a[0] == "introduced":
            c = -1
        elif b[1] == "0" and b[0] == "introduced":
            c = 1
        else:
            c = compare_versions(a[1], b[1], scheme, True)
        return c or _EVENT_ORDER.get(a[0], 9) - _EVENT_ORDER.get(b[0], 9)

    return tuple(sorted(events, key=cmp_to_key(order)))


def _in_range(version: str, rng: Range, scheme: str) -> Verdict:
    if len(rng.events) == 2 and rng.events[0] == ("introduced", "0") and rng.events[1][0] == "fixed":
        # The common shape (everything before one fix), without sorting anything.
        fix = rng.events[1][1]
        if compare_versions(version, fix, scheme, True) < 0:
            return Verdict(True, fix, f"introduced 0, fixed {fix}")
        return Verdict(False)
    affected = False
    fixed = ""
    limits = [v for kind, v in rng.events if kind == "limit"]
    if any(v != "*" and compare_versions(version, v, scheme, True) >= 0 for v in limits):
        return Verdict(False)
    opened_at = ""
    for kind, at in _sorted_events(tuple(e for e in rng.events if e[0] != "limit"), scheme):
        if kind == "introduced":
            if at == "0" or compare_versions(version, at, scheme, True) >= 0:
                affected, opened_at, fixed = True, at, ""
        elif kind == "fixed":
            if compare_versions(version, at, scheme, True) >= 0:
                affected = False
            elif affected and not fixed:
                fixed = at
        elif kind == "last_affected" and compare_versions(version, at, scheme, True) > 0:
            affected = False
    if not affected:
        return Verdict(False)
    if fixed:
        return Verdict(True, fixed, f"introduced {opened_at}, fixed {fixed}")
    last = next((at for kind, at in rng.events if kind == "last_affected"), "")
    return Verdict(True, "", f"introduced {opened_at}, " + (f"last affected {last}" if last else "no fix yet"))


def evaluate(version: str, ranges: Sequence[Range], versions: Sequence[str], scheme: str) -> Verdict:
    """Whether ``version`` is affected by an entry with these ``ranges`` and ``versions``.

    An empty installed version is never affected: nothing is claimed without knowing the version.
    """
    if not version:
        return Verdict(False)
    for rng in ranges:
        if rng.type == "GIT":
            continue
        verdict = _in_range(version, rng, scheme)
        if verdict.affected:
            return verdict
    for listed in versions:
        if listed == version or compare_versions(version, listed, scheme, True) == 0:
            return Verdict(True, "", f"version {listed} listed as affected")
    return Verdict(False)

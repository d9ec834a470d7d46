"""Delta reports (pure): what changed in the software list since the last acknowledged host report.

Items are keyed by (source, name, arch); a version change is a "changed" item. Only sources whose
collector ran to completion (state OK) can report removals: an item missing because its
collector failed or timed out is not "removed", and the baseline keeps it for next time.
The checksum both sides compare is SHA-256 over the sorted lines "source\\tname\\tarch\\tversion"
of the complete list, restricted to the sources that were complete in this run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agent.facts.model import CollectorState, Inventory, SoftwareItem

Key = tuple[str, str, str]


def key_of(item: SoftwareItem) -> Key:
    """Identity of an install on one machine."""
    return (item.source, item.name, item.arch)


def complete_sources(inventory: Inventory) -> frozenset[str]:
    """Package sources whose collector finished: software collectors are named after their source."""
    return frozenset(c.name for c in inventory.collectors if c.state is CollectorState.OK)


def checksum(items: Iterable[SoftwareItem], sources: Iterable[str]) -> str:
    """The divergence check shared with the collector (see report.proto, HostDelta.software_checksum)."""
    wanted = set(sources)
    lines = sorted(f"{i.source}\t{i.name}\t{i.arch}\t{i.version}" for i in items if i.source in wanted)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Delta:
    """Changes relative to a baseline."""

    added: tuple[SoftwareItem, ...]
    removed: tuple[SoftwareItem, ...]
    changed: tuple[SoftwareItem, ...]

    @property
    def size(self) -> int:
        """Number of items the delta carries."""
        return len(self.added) + len(self.removed) + len(self.changed)


def compute_delta(baseline: Mapping[Key, SoftwareItem], inventory: Inventory) -> Delta:
    """Added, removed and changed items of `inventory` against `baseline`."""
    done = complete_sources(inventory)
    current = {key_of(i): i for i in inventory.software}
    added = tuple(i for k, i in current.items() if k not in baseline)
    changed = tuple(i for k, i in current.items() if k in baseline and baseline[k].version != i.version)
    removed = tuple(i for k, i in baseline.items() if k not in current and k[0] in done)
    return Delta(added=added, removed=removed, changed=changed)


def next_baseline(baseline: Mapping[Key, SoftwareItem], inventory: Inventory) -> dict[Key, SoftwareItem]:
    """What the collector holds once this report is applied: fresh items of complete sources, and
    the previous items of sources that did not complete this time (they were not removed)."""
    done = complete_sources(inventory)
    kept = {k: i for k, i in baseline.items() if k[0] not in done}
    kept.update((key_of(i), i) for i in inventory.software)
    return kept

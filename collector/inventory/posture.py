"""Which agent report speaks for an asset's posture (pure).

An asset can hold several agent subjects (a machine reinstalled and re-enrolled, a dual-boot
laptop): the freshest report describes the machine as it is now, so its posture is the asset's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from collector.domain.posture import Posture
from collector.inventory.identity import ResolvedAsset


def asset_posture(assets: Sequence[ResolvedAsset], postures: Mapping[str, Posture]) -> dict[str, Posture]:
    """asset_id -> the posture of its most recently reporting agent subject (assets without one left out)."""
    out: dict[str, Posture] = {}
    if not postures:
        return out
    for a in assets:
        best: Posture | None = None
        for subject in a.members:
            p = postures.get(subject)
            if p is not None and (best is None or p.reported_at > best.reported_at):
                best = p
        if best is not None:
            out[a.asset_id] = best
    return out

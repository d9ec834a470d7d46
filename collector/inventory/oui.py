"""A MAC's vendor from the IEEE registry that netaddr ships: the last resort for an asset's vendor.

DESIGN.md (Scanning): the device's own word comes first (sysObjectID, ENTITY-MIB, an agent's
DMI strings); the OUI only when nothing else named the maker, and never from a MAC that names no
maker. The agent's scanner answers the same question (agent/scan/classify.py `mac_vendor`); the two
share no code, so tests/data/identity/vectors.json holds both to the same answers.

This is the collector's only netaddr code, and it reads netaddr's registry files (which is why it is
not in collector/domain, whose modules do no I/O and import nothing from outside).
"""

from __future__ import annotations

import functools

from netaddr import EUI, AddrFormatError, NotRegisteredError

from collector.domain.identifiers import mac_class

# What the IEEE registry names as the owner of an OUI it split into small blocks (MA-M, MA-S, IAB)
# or kept private: no vendor at all. netaddr ships the IAB registry, so an IAB block still names its
# owner; the MA-M and MA-S registries it does not ship.
_NOT_A_VENDOR = frozenset({"IEEE Registration Authority", "Private"})


def oui_vendor(mac: str) -> str:
    """Organisation that registered the block of `mac` (as `normalise_mac` returns it), or "".

    Only a "global" MAC (see `mac_class`) names its maker, and not one under the zero OUI
    (uninitialised or forged). An OUI the IEEE split into small blocks names the block's owner only
    where netaddr resolves the longer (IAB) block.
    """
    if mac_class(mac) != "global" or mac.startswith("00:00:00"):
        return ""
    org = _registered_org(mac[:8])
    if org in _NOT_A_VENDOR:  # a small block: its owner is in the IAB registry, if anywhere
        org = _registered_org(mac[:13])
    return "" if org in _NOT_A_VENDOR else org


@functools.lru_cache(maxsize=4096)
def _registered_org(prefix: str) -> str:
    """The registered owner of a 24-bit OUI ("00:1b:21") or a 36-bit IAB ("00:50:c2:00:3"), or "".

    Cached per prefix: netaddr reads its registry file on every lookup, and a network has a few
    hundred OUIs behind 100,000 MACs.
    """
    eui = EUI(prefix + "00:00:00:00:00:00"[len(prefix):])
    try:
        block = eui.oui if len(prefix) == 8 else eui.iab
        return "" if block is None else str(block.registration().org).strip()
    except (NotRegisteredError, AddrFormatError, IndexError):
        return ""

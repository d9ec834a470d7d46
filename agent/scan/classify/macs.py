"""MAC addresses: spelling, IEEE 802 class, and the maker the IEEE OUI registry (netaddr) names.

Pure except for netaddr's registry, read lazily per prefix. `mac_vendor` answers "who registered
this block" for any sighting; `hardware_vendor` answers the stricter question the device-vendor
chain asks ("who built this box"), refusing MACs that name a hypervisor or no maker at all.
"""

from __future__ import annotations

import functools
import re

from netaddr import EUI, AddrFormatError, NotRegisteredError


def normalise_mac(raw: str | bytes) -> str:
    """Return a MAC as lower-case colon-separated hex, or "" when it is not a 6-octet MAC.

    Accepts SNMP's raw 6-octet PhysAddress (bytes), "0x001b21..." hex strings as pysnmp prints
    OCTET STRINGs, and the usual separators (":", "-", ".", none).

    Args:
        raw: the MAC in any of those spellings.

    Returns:
        "00:1b:21:0a:00:01" style text, or "" for anything that is not exactly 6 octets
        (IF-MIB ifPhysAddress is empty for loopback and tunnels; those are not identities).
    """
    if isinstance(raw, bytes | bytearray):
        if len(raw) != 6:
            return ""
        return ":".join(f"{b:02x}" for b in raw)
    text = raw.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    digits = re.sub(r"[:\-.\s]", "", text)
    if len(digits) != 12 or not all(c in "0123456789abcdef" for c in digits):
        return ""
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def mac_class(mac: str) -> str:
    """The IEEE 802 class of a MAC in any spelling `normalise_mac` accepts.

    One of "global" (universally administered unicast: burnt into hardware), "local" (locally
    administered unicast: randomised phone and laptop MACs, VM and container bridges), "multicast",
    "broadcast", "zero" and "invalid". IEEE 802-2014 clause 8.2: bit 0x01 of the first octet marks
    group addresses (multicast, and broadcast as the all-ones group), bit 0x02 locally administered
    ones; a group address is "multicast" whatever its 0x02 bit says (33:33:… carries IPv6 multicast).
    Only "global" is hardware identity (DESIGN.md, Identity). The collector classifies the same way
    (collector/domain/identifiers.py); tests/data/identity/vectors.json holds both to it.
    """
    norm = normalise_mac(mac)
    if not norm:
        return "invalid"
    if norm == "00:00:00:00:00:00":
        return "zero"
    if norm == "ff:ff:ff:ff:ff:ff":
        return "broadcast"
    first = int(norm[:2], 16)
    if first & 0x01:
        return "multicast"
    return "local" if first & 0x02 else "global"


def mac_is_local(mac: str) -> bool:
    """True for a locally administered unicast MAC (`mac_class` "local").

    Phones, laptops with Wi-Fi privacy and VMs use such random MACs; identity resolution must
    not treat them as hardware identity (DESIGN.md, Identity).
    """
    return mac_class(mac) == "local"


# What the IEEE registry names as the owner of an OUI it split into small blocks (MA-M, MA-S, IAB)
# or kept private: no vendor at all. netaddr ships the IAB registry, so an IAB block still names its
# owner; the MA-M and MA-S registries it does not ship.
_NOT_A_VENDOR = frozenset({"IEEE Registration Authority", "Private"})


def mac_vendor(mac: str) -> str:
    """Organisation that registered the MAC's block in the IEEE registry netaddr ships, or "".

    Only a "global" MAC (see `mac_class`) names its maker, and not one under the zero OUI
    (uninitialised or forged). An OUI the IEEE split into small blocks names the block's owner only
    where netaddr resolves the longer (IAB) block. Looked up once per prefix: netaddr reads its
    registry file on every lookup. The collector's lookup (collector/inventory/oui.py) gives the same
    answers: tests/data/identity/vectors.json holds both to them.
    """
    norm = normalise_mac(mac)
    if mac_class(norm) != "global" or norm.startswith("00:00:00"):
        return ""
    org = _registered_org(norm[:8])
    if org in _NOT_A_VENDOR:  # a small block: its owner is in the IAB registry, if anywhere
        org = _registered_org(norm[:13])
    return "" if org in _NOT_A_VENDOR else org


@functools.lru_cache(maxsize=4096)
def _registered_org(prefix: str) -> str:
    """The registered owner of a 24-bit OUI ("00:1b:21") or a 36-bit IAB ("00:50:c2:00:3"), or ""."""
    eui = EUI(prefix + "00:00:00:00:00:00"[len(prefix):])
    try:
        block = eui.oui if len(prefix) == 8 else eui.iab
        return "" if block is None else str(block.registration().org).strip()
    except (NotRegisteredError, AddrFormatError, IndexError):
        return ""


# OUI owners whose blocks are handed to virtual NICs, not built into hardware: VMware, VirtualBox
# (08:00:27, registered by PCS Systemtechnik), Xen, Microsoft (Hyper-V's 00:15:5d),
# Parallels, Red Hat/Qumranet/QEMU (KVM's 52:54:00 is locally administered anyway) and Nutanix. Matched on the
# owner's name as the IEEE registry spells it, so every block these owners register is covered
# without listing prefixes. A Cisco appliance's VMware vNIC named its vendor "VMware" (issue 16).
_VIRTUAL_OWNERS = re.compile(
    r"\b(vmware|xensource|xen|parallels|pcs systemtechnik|microsoft|red hat|qumranet|qemu|nutanix)\b",
    re.IGNORECASE)


# OUI owners that make the chips and network modules other makers build into their boxes: an
# environment monitor on a Microchip TCP/IP module, a PDU's controller on a Texas Instruments SoC, a
# Gateworks board in someone's router, a switch on a Realtek chip's default MAC (issue 16: such makers
# were named for the PDU or controller they sit in). Matched on the owner's name as the IEEE registry
# spells it: any "Semiconductor(s)" company, and the chip and module makers without that word.
_CHIP_OWNERS = re.compile(
    r"\b(semiconductors?|texas instruments|microchip technology|gateworks|espressif|wiznet|mediatek|ralink|"
    r"atheros)\b", re.IGNORECASE)


def hardware_vendor(mac: str) -> tuple[str, str]:
    """(maker, "") of the box a MAC is burnt into, or ("", why not) when the MAC cannot say.

    The last resort of the device-vendor chain (vendor.py): refuses everything `mac_vendor`
    refuses (zero, broadcast, multicast, locally administered, the zero OUI, small IEEE blocks the
    registry shipped with netaddr cannot resolve), virtual-machine NICs by their OUI owner, and the
    MACs of chip and network-module makers (_CHIP_OWNERS), who build no box of their own.
    """
    cls = mac_class(mac)
    if cls != "global":
        return "", f"MAC {normalise_mac(mac) or repr(mac)} is {cls}"
    org = mac_vendor(mac)
    if not org:
        return "", f"MAC {normalise_mac(mac)} has no registered maker"
    if _VIRTUAL_OWNERS.search(org):
        return "", f"MAC {normalise_mac(mac)} is a virtual NIC's ({org})"
    if _CHIP_OWNERS.search(org):
        return "", f"MAC {normalise_mac(mac)} names a chip or module maker ({org})"
    return org, ""

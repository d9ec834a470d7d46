"""Pure classification: MAC vendor, random-MAC detection, device type and OS family.

Nothing here touches the network, so every rule is unit-tested with plain strings.
Sources: the IEEE OUI registry as shipped by netaddr; the IANA Private Enterprise Numbers
registry (the 7th arc of a sysObjectID, 1.3.6.1.4.1.<PEN>, RFC 1155 §3.1.1 / SNMPv2-MIB
sysObjectID); and sysDescr keywords as real devices print them (see tests/data/scan/*.snmprec).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from netaddr import EUI, AddrFormatError, NotRegisteredError

from agent.scan.model import DEVICE_TYPES

_ENTERPRISES = "1.3.6.1.4.1."


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


# (sysObjectID prefix, vendor, device type, os family). Longest matching prefix wins; PENs from
# https://www.iana.org/assignments/enterprise-numbers, product subtrees from the vendors' MIBs.
_OID_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("1.3.6.1.4.1.9", "Cisco", "router", "cisco-ios"),
    ("1.3.6.1.4.1.9.1.1745", "Cisco", "switch", "cisco-ios"),       # CISCO-PRODUCTS-MIB cat3850
    ("1.3.6.1.4.1.9.12.3.1.3", "Cisco", "switch", "nx-os"),         # CISCO-ENTITY-VENDORTYPE nexus
    ("1.3.6.1.4.1.9.1.745", "Cisco", "firewall", "asa"),            # ciscoASA5510
    ("1.3.6.1.4.1.9.6.1", "Cisco", "switch", ""),                   # Cisco small business switches
    ("1.3.6.1.4.1.14179", "Cisco", "wireless", ""),                 # Airespace WLC
    ("1.3.6.1.4.1.2636", "Juniper Networks", "router", "junos"),
    ("1.3.6.1.4.1.2636.1.1.1.2.31", "Juniper Networks", "switch", "junos"),  # EX series
    ("1.3.6.1.4.1.3224", "Juniper Networks", "firewall", "screenos"),
    ("1.3.6.1.4.1.30065", "Arista Networks", "switch", "eos"),
    ("1.3.6.1.4.1.14988", "MikroTik", "router", "routeros"),
    ("1.3.6.1.4.1.12356", "Fortinet", "firewall", "fortios"),
    ("1.3.6.1.4.1.25461", "Palo Alto Networks", "firewall", "pan-os"),
    ("1.3.6.1.4.1.2620", "Check Point", "firewall", ""),
    ("1.3.6.1.4.1.8741", "SonicWall", "firewall", ""),
    ("1.3.6.1.4.1.41112", "Ubiquiti", "wireless", ""),
    ("1.3.6.1.4.1.14823", "Aruba", "wireless", ""),
    ("1.3.6.1.4.1.1916", "Extreme Networks", "switch", ""),
    ("1.3.6.1.4.1.1991", "Brocade", "switch", ""),
    ("1.3.6.1.4.1.25506", "H3C", "switch", ""),
    ("1.3.6.1.4.1.2011", "Huawei", "switch", ""),
    ("1.3.6.1.4.1.4526", "Netgear", "switch", ""),
    ("1.3.6.1.4.1.11863", "TP-Link", "switch", ""),
    ("1.3.6.1.4.1.171", "D-Link", "switch", ""),
    ("1.3.6.1.4.1.11", "HP", "unknown", ""),
    ("1.3.6.1.4.1.11.2.3.7.11", "HP", "switch", ""),                # ProCurve switches
    ("1.3.6.1.4.1.11.2.3.9", "HP", "printer", ""),                  # JetDirect
    ("1.3.6.1.4.1.232", "HP", "server", ""),                        # Compaq/HPE Insight agents
    ("1.3.6.1.4.1.2435", "Brother", "printer", ""),
    ("1.3.6.1.4.1.1602", "Canon", "printer", ""),
    ("1.3.6.1.4.1.367", "Ricoh", "printer", ""),
    ("1.3.6.1.4.1.1347", "Kyocera", "printer", ""),
    ("1.3.6.1.4.1.253", "Xerox", "printer", ""),
    ("1.3.6.1.4.1.641", "Lexmark", "printer", ""),
    ("1.3.6.1.4.1.318", "APC", "ups", ""),
    ("1.3.6.1.4.1.534", "Eaton", "ups", ""),
    ("1.3.6.1.4.1.705", "MGE UPS Systems", "ups", ""),
    ("1.3.6.1.4.1.789", "NetApp", "storage", ""),
    ("1.3.6.1.4.1.6574", "Synology", "storage", "linux"),
    ("1.3.6.1.4.1.24681", "QNAP", "storage", "linux"),
    ("1.3.6.1.4.1.368", "Axis", "camera", ""),
    ("1.3.6.1.4.1.39165", "Hikvision", "camera", ""),
    ("1.3.6.1.4.1.13885", "Polycom", "phone", ""),
    ("1.3.6.1.4.1.6889", "Avaya", "phone", ""),
    ("1.3.6.1.4.1.674.10892", "Dell", "bmc", ""),                    # iDRAC (MIB-Dell-10892)
    ("1.3.6.1.4.1.6876", "VMware", "server", "esxi"),
    ("1.3.6.1.4.1.311", "", "workstation", "windows"),
    ("1.3.6.1.4.1.8072", "", "server", ""),                 # NET-SNMP-MIB netSnmpAgentOIDs
    ("1.3.6.1.4.1.8072.3.2.10", "", "server", "linux"),
    ("1.3.6.1.4.1.8072.3.2.8", "", "server", "bsd"),
    ("1.3.6.1.4.1.8072.3.2.3", "", "server", "solaris"),
    ("1.3.6.1.4.1.8072.3.2.16", "", "workstation", "macos"),
    ("1.3.6.1.4.1.42", "Sun Microsystems", "server", "solaris"),
    ("1.3.6.1.4.1.2021", "", "server", ""),                 # UCD-SNMP-MIB (old net-snmp)
    ("1.3.6.1.4.1.2021.250.10", "", "server", "linux"),
    # Added for issue 7 (device types of real recorded walks, snmpsim-data): IANA PENs of vendors
    # whose SNMP-managed products are overwhelmingly of one kind.
    ("1.3.6.1.4.1.311.1.1.3.1.2", "", "server", "windows"),   # LanMgr-Mib-II-MIB windowsNT server
    ("1.3.6.1.4.1.311.1.1.3.1.3", "", "server", "windows"),   # ... domain controller
    ("1.3.6.1.4.1.2.3.1.2", "IBM", "server", "aix"),          # IBM AIX agents (risc6000)
    ("1.3.6.1.4.1.11.5.7.1.2", "HP", "bmc", ""),              # HP c-Class Onboard Administrator
    ("1.3.6.1.4.1.232.9.4", "HP", "bmc", ""),                 # HPE iLO
    ("1.3.6.1.4.1.3320", "BDCOM", "switch", ""),
    ("1.3.6.1.4.1.6339", "DCN", "switch", ""),                 # Digital China Networks
    ("1.3.6.1.4.1.4881", "Ruijie", "switch", ""),
    ("1.3.6.1.4.1.30803", "Vyatta", "router", "vyatta"),
    ("1.3.6.1.4.1.5089", "Clavister", "firewall", ""),
    ("1.3.6.1.4.1.14331", "Topsec", "firewall", ""),
    ("1.3.6.1.4.1.15227", "Venustech", "firewall", ""),
    ("1.3.6.1.4.1.28557", "Hillstone", "firewall", ""),
    ("1.3.6.1.4.1.2604", "Sophos", "firewall", ""),
    ("1.3.6.1.4.1.3097", "WatchGuard", "firewall", ""),
    ("1.3.6.1.4.1.12124", "Isilon", "storage", ""),
    ("1.3.6.1.4.1.1139", "EMC", "storage", ""),
    ("1.3.6.1.4.1.40482", "Pure Storage", "storage", ""),
    ("1.3.6.1.4.1.476", "Vertiv", "ups", ""),                  # Liebert/Emerson Network Power
    ("1.3.6.1.4.1.935", "Phoenixtec", "ups", ""),
    ("1.3.6.1.4.1.5491", "Riello", "ups", ""),
    ("1.3.6.1.4.1.36849", "Hanwha (Samsung Techwin)", "camera", ""),
    ("1.3.6.1.4.1.1004849", "Dahua", "camera", ""),
    ("1.3.6.1.4.1.21239", "Geist", "iot", ""),                 # environmental monitors
    ("1.3.6.1.4.1.3854", "AKCP", "iot", ""),
)

# OID rules whose type is firmer than anything a sysDescr keyword can say (a Windows Server
# sysDescr says only "Windows Version 5.2").
_FIRM = frozenset({"1.3.6.1.4.1.311.1.1.3.1.2", "1.3.6.1.4.1.311.1.1.3.1.3", "1.3.6.1.4.1.11.5.7.1.2"})

# sysDescr keywords, first match wins per field. Each is (regex, device type, os family); empty
# means "keep what the OID said". Refines the OID guess (a Cisco OID can be a switch or an ASA).
_DESCR_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), t, o) for p, t, o in (
        (r"adaptive security appliance|\bfirepower\b", "firewall", "asa"),
        (r"firewall|\bngfw\b|\butm\b", "firewall", ""),
        (r"\bip ?cam(era)?\b|network camera|\bnvr\b|hikvision|network video", "camera", ""),
        (r"\bonefs\b|\bnetapp\b|\bnas\b|storage array", "storage", ""),
        (r"onboard administrator", "bmc", ""),
        (r"temp(erature)? sensor|environmental monitor", "iot", ""),
        (r"\bnx-os\b", "switch", "nx-os"),
        (r"catalyst|\bc(?:29[56]0|35[67]0|3650|37[58]0|3850|9[235]00)[a-z]*\b|\bws-c|\bswitch\b", "switch", ""),
        (r"jetdirect|laserjet|officejet|\bprinter\b|\bmfc-|\bhl-\d", "printer", ""),
        (r"\bups\b|smart-ups|powerware|network management card", "ups", ""),
        (r"access point|\bwlc\b|wireless", "wireless", ""),
        (r"\bidrac\b|integrated lights-out|\bilo\b|\bbmc\b|\bipmi\b", "bmc", ""),
        (r"vmware esxi", "server", "esxi"),
        (r"windows.*server|server.*windows", "server", "windows"),
        (r"windows", "workstation", "windows"),
        (r"\bdarwin\b|mac os|macos", "workstation", "macos"),
        (r"routeros", "router", "routeros"),
        (r"junos", "", "junos"),
        (r"cisco ios", "", "cisco-ios"),
        (r"\blinux\b", "", "linux"),
        (r"freebsd|openbsd|netbsd", "", "bsd"),
        (r"sunos|solaris", "", "solaris"),
    )
)


_REFINABLE = frozenset({"unknown", "server", "router", "workstation"})


@dataclass(frozen=True, slots=True)
class Classification:
    """Result of classifying an SNMP system group; empty strings mean unknown."""

    vendor: str = ""
    device_type: str = "unknown"
    os_family: str = ""


def enterprise_number(sys_object_id: str) -> int:
    """IANA Private Enterprise Number of a sysObjectID, or 0 when it is not under enterprises."""
    oid = sys_object_id.strip().lstrip(".")
    if not oid.startswith(_ENTERPRISES):
        return 0
    head = oid[len(_ENTERPRISES):].split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _oid_prefix(sys_object_id: str) -> str:
    """The rule prefix that matched a sysObjectID (longest), or ""."""
    oid = sys_object_id.strip().lstrip(".")
    best = ""
    for rule in _OID_RULES:
        prefix = rule[0]
        if (oid == prefix or oid.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return best


def _oid_match(sys_object_id: str) -> tuple[str, str, str] | None:
    oid = sys_object_id.strip().lstrip(".")
    best: tuple[str, str, str, str] | None = None
    for rule in _OID_RULES:
        prefix = rule[0]
        if (oid == prefix or oid.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = rule
    return None if best is None else best[1:]


def classify(sys_object_id: str = "", sys_descr: str = "", *, services: int = 0,
             mibs: frozenset[str] = frozenset()) -> Classification:
    """Guess vendor, device type and OS family from the SNMP system group.

    The sysObjectID is authoritative for the vendor (it is the agent's own registration); the
    sysDescr refines the type, because one vendor subtree covers routers, switches and firewalls.

    Args:
        sys_object_id: dotted sysObjectID.0 (SNMPv2-MIB, RFC 3418).
        sys_descr: sysDescr.0 text.
        services: sysServices.0 (RFC 3418 layer bits), used only when nothing else typed the box.
        mibs: standard MIBs the agent implements ("ups-mib" RFC 1628, "printer-mib" RFC 3805):
            a box that implements UPS-MIB is a UPS whatever its vendor.

    Returns:
        A Classification whose device_type is always in DEVICE_TYPES.
    """
    vendor, device_type, os_family = "", "unknown", ""
    hit = _oid_match(sys_object_id)
    if hit is not None:
        vendor, device_type, os_family = hit
    firm = hit is not None and _oid_prefix(sys_object_id) in _FIRM
    if "ups-mib" in mibs and device_type in _REFINABLE:
        device_type, firm = "ups", True
    elif "printer-mib" in mibs and device_type in _REFINABLE:
        device_type, firm = "printer", True
    typed = firm
    for pattern, dtype, fam in _DESCR_RULES:
        if not pattern.search(sys_descr):
            continue
        # A generic agent (net-snmp, Windows SNMP service, a vendor's router default) says little
        # about the box; its description does, so the first typed keyword refines such guesses.
        if dtype and not typed and (hit is None or device_type in _REFINABLE):
            device_type, typed = dtype, True
        if fam and not os_family:
            os_family = fam
    if device_type == "unknown" and os_family in ("linux", "bsd", "solaris"):
        device_type = "server"
    if device_type == "unknown" and services:
        # sysServices bits (RFC 3418): 0x02 datalink (bridges), 0x04 internet (IP routers),
        # 0x08 end-to-end (hosts). A box offering layer 2 or 3 but no host layer is network gear.
        if services & 0x04 and not services & 0x08:
            device_type = "router"
        elif services & 0x02 and not services & 0x0C:
            device_type = "switch"
    if device_type not in DEVICE_TYPES:  # defensive: the vocabulary is a contract
        device_type = "unknown"
    return Classification(vendor=vendor, device_type=device_type, os_family=os_family)

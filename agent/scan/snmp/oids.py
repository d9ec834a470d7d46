"""What to read from a device: OIDs (MIB object, RFC), per-table columns and walk plans per depth.

Pure data and one pure planner (tables_to_walk). The MIB-area parsers in mib/ read the tables
named here; the device reader asks for them in COLUMNS order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Oid = tuple[int, ...]

# --- OIDs (MIB object, RFC) -------------------------------------------------------------------
SYSTEM = (1, 3, 6, 1, 2, 1, 1)                      # SNMPv2-MIB::system
SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME = (*SYSTEM, 1, 0), (*SYSTEM, 2, 0), (*SYSTEM, 3, 0)
SYS_CONTACT, SYS_NAME, SYS_LOCATION = (*SYSTEM, 4, 0), (*SYSTEM, 5, 0), (*SYSTEM, 6, 0)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)              # IF-MIB::ifEntry
IF_X_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)        # IF-MIB::ifXEntry
IP_AD_ENTRY = (1, 3, 6, 1, 2, 1, 4, 20, 1)          # IP-MIB::ipAddrEntry (deprecated, universal)
IP_NET_TO_MEDIA = (1, 3, 6, 1, 2, 1, 4, 22, 1)      # IP-MIB::ipNetToMediaEntry
IP_NET_TO_PHYS = (1, 3, 6, 1, 2, 1, 4, 35, 1)       # IP-MIB::ipNetToPhysicalEntry
DOT1D_BASE_PORT_IFINDEX = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2)  # BRIDGE-MIB::dot1dBasePortIfIndex
DOT1D_TP_FDB = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1)      # BRIDGE-MIB::dot1dTpFdbEntry
DOT1Q_TP_FDB = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1)  # Q-BRIDGE-MIB::dot1qTpFdbEntry
DOT1Q_VLAN_FDB_ID = (1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 2, 1, 3)  # Q-BRIDGE-MIB::dot1qVlanFdbId
ENT_PHYSICAL = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1)   # ENTITY-MIB::entPhysicalEntry
HR_SYSTEM = (1, 3, 6, 1, 2, 1, 25, 1)               # HOST-RESOURCES-MIB::hrSystem
HR_MEMORY_SIZE = (1, 3, 6, 1, 2, 1, 25, 2, 2, 0)    # HOST-RESOURCES-MIB::hrMemorySize.0 (KiB)
HR_SW_INSTALLED = (1, 3, 6, 1, 2, 1, 25, 6, 3, 1)   # HOST-RESOURCES-MIB::hrSWInstalledEntry
HR_DEVICE = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1)         # HOST-RESOURCES-MIB::hrDeviceEntry
HR_DEVICE_TYPES = (1, 3, 6, 1, 2, 1, 25, 3, 1)      # HOST-RESOURCES-TYPES::hrDeviceTypes (hrDeviceType values)
ENT_PHY_SENSOR = (1, 3, 6, 1, 2, 1, 99, 1, 1, 1)    # ENTITY-SENSOR-MIB::entPhySensorEntry (RFC 3433)
LLDP_LOC_PORT = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1)   # LLDP-MIB::lldpLocPortEntry
LLDP_REM = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)        # LLDP-MIB::lldpRemEntry
LLDP_REM_MAN_ADDR = (1, 0, 8802, 1, 1, 2, 1, 4, 2, 1)  # LLDP-MIB::lldpRemManAddrEntry

# Columns read per table (not whole rows: ifTable rows are mostly counters we do not need).
COLUMNS: dict[str, tuple[Oid, ...]] = {
    "if": tuple((*IF_ENTRY, c) for c in (2, 3, 5, 6, 8)),          # descr type speed phys oper
    "ifx": tuple((*IF_X_ENTRY, c) for c in (1, 15)),                # ifName ifHighSpeed
    "ipad": ((*IP_AD_ENTRY, 2), (*IP_AD_ENTRY, 3)),                # ifIndex netmask
    "arp": ((*IP_NET_TO_MEDIA, 2), (*IP_NET_TO_MEDIA, 4)),         # physAddress type
    "arp2": ((*IP_NET_TO_PHYS, 4), (*IP_NET_TO_PHYS, 6)),          # physAddress type
    "bport": (DOT1D_BASE_PORT_IFINDEX,),
    "fdb": ((*DOT1D_TP_FDB, 2), (*DOT1D_TP_FDB, 3)),               # port status
    "qfdb": ((*DOT1Q_TP_FDB, 2), (*DOT1Q_TP_FDB, 3)),              # port status
    "qvlan": (DOT1Q_VLAN_FDB_ID,),
    # class, then descr containedIn name firmwareRev softwareRev serial mfg model (mib/entity.py)
    "ent": tuple((*ENT_PHYSICAL, c) for c in (5, 2, 4, 7, 9, 10, 11, 12, 13)),
    "hr": (HR_SYSTEM,),
    "hrdev": ((*HR_DEVICE, 2),),                                    # hrDeviceType (a device type's OID)
    "sensor": ((*ENT_PHY_SENSOR, 1),),                              # entPhySensorType
    "sw": ((*HR_SW_INSTALLED, 2), (*HR_SW_INSTALLED, 5)),          # name date
    "lldploc": ((*LLDP_LOC_PORT, 3), (*LLDP_LOC_PORT, 4)),          # portId portDesc
    "lldp": tuple((*LLDP_REM, c) for c in (4, 5, 6, 7, 8, 9, 10)),
    "lldpman": ((*LLDP_REM_MAN_ADDR, 3),),                           # lldpRemManAddrIfSubtype
}

# Tables that only serve to interpret another one: not walked when that one is empty.
SERVES: dict[str, tuple[str, ...]] = {
    "bport": ("fdb", "qfdb"),  # bridge port -> ifIndex, for FDB entries
    "qvlan": ("qfdb",),        # FDB id -> VLAN, for Q-BRIDGE FDB entries
    "lldploc": ("lldp",),      # local port names, for LLDP neighbours
    "lldpman": ("lldp",),      # neighbours' management addresses
}
# Tables that repeat another one's rows: walked only when that other table is empty. The IPv4 rows
# of ipNetToPhysicalTable repeat ipNetToMediaTable (RFC 4293 keeps both over one neighbour cache):
# in the 50 recorded real devices of the fleet benchmark it never held an IPv4 entry the older
# table lacked (ruijie's held only 4 of its 409). The two FDB tables stay a union: a switch may
# report some MACs in BRIDGE-MIB only (VLAN-unaware ports).
SUPERSEDED_BY: dict[str, str] = {"arp2": "arp"}


def tables_to_walk(present: Mapping[str, bool]) -> list[str]:
    """The non-empty tables worth walking, in COLUMNS order (see SERVES and SUPERSEDED_BY)."""
    keys = {k for k, has in present.items() if has and not present.get(SUPERSEDED_BY.get(k, ""), False)}
    keys = {k for k in keys if k not in SERVES or any(u in keys for u in SERVES[k])}
    return [k for k in COLUMNS if k in keys]


# Where to ask "does this table have rows?": one GETNEXT per device names all of these; a table
# whose answer falls outside its prefix is empty and is never walked.
TABLE_PREFIX: dict[str, Oid] = {
    "if": IF_ENTRY, "ifx": IF_X_ENTRY, "ipad": IP_AD_ENTRY, "arp": IP_NET_TO_MEDIA, "arp2": IP_NET_TO_PHYS,
    "bport": DOT1D_BASE_PORT_IFINDEX[:-1], "fdb": DOT1D_TP_FDB, "qfdb": DOT1Q_TP_FDB,
    "qvlan": DOT1Q_VLAN_FDB_ID[:-1], "ent": ENT_PHYSICAL, "hr": HR_SYSTEM, "hrdev": HR_DEVICE,
    "sensor": ENT_PHY_SENSOR, "sw": HR_SW_INSTALLED,
    "lldploc": LLDP_LOC_PORT, "lldp": LLDP_REM, "lldpman": LLDP_REM_MAN_ADDR,
}
SYS_SERVICES = (*SYSTEM, 7, 0)                       # SNMPv2-MIB::sysServices.0
# LLDP-MIB::lldpLocSysCapEnabled.0 (IEEE 802.1AB): the system capabilities the device advertises.
LLDP_LOC_SYS_CAP_ENABLED = (1, 0, 8802, 1, 1, 2, 1, 3, 6, 0)
SCALARS: tuple[Oid, ...] = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_CONTACT, SYS_NAME, SYS_LOCATION,
                            SYS_SERVICES, LLDP_LOC_SYS_CAP_ENABLED, HR_MEMORY_SIZE)
# Standard MIBs whose presence is evidence of a device's type (classify/device_type.py); asked in
# the same census GETNEXT as the tables, never walked: no request is added per device.
PRESENCE: dict[str, Oid] = {
    # Any object of UPS-MIB or Printer-MIB: agents implement parts of them (a UPS card that answers
    # upsBattery and upsOutput but not upsIdent is still a UPS's).
    "ups-mib": (1, 3, 6, 1, 2, 1, 33, 1),            # UPS-MIB::upsObjects (RFC 1628)
    "printer-mib": (1, 3, 6, 1, 2, 1, 43),           # Printer-MIB::printmib (RFC 3805)
    "hr-printer": (1, 3, 6, 1, 2, 1, 25, 3, 5, 1),   # HOST-RESOURCES-MIB::hrPrinterEntry (RFC 2790)
    "host-resources": HR_SYSTEM,                      # HOST-RESOURCES-MIB::hrSystem (RFC 2790)
    "dot11": (1, 2, 840, 10036),                      # IEEE802dot11-MIB (IEEE Std 802.11 Annex C)
    "bridge-mib": (1, 3, 6, 1, 2, 1, 17, 1),         # BRIDGE-MIB::dot1dBase (RFC 4188)
    "q-bridge": (1, 3, 6, 1, 2, 1, 17, 7, 1, 1),     # Q-BRIDGE-MIB::dot1qBase (RFC 4363)
    "ip-forwarding": (1, 3, 6, 1, 2, 1, 4, 1),       # IP-MIB::ipForwarding.0 (RFC 4293)
    "rmon2-probe": (1, 3, 6, 1, 2, 1, 16, 19),       # RMON2-MIB::probeConfig (RFC 4502)
    # Routing protocols at work: BGP peers configured, OSPF enabled (ospfAdminStat = enabled(1)).
    "bgp-peers": (1, 3, 6, 1, 2, 1, 15, 3, 1),       # BGP4-MIB::bgpPeerEntry (RFC 4273)
    "ospf-enabled": (1, 3, 6, 1, 2, 1, 14, 1, 2),    # OSPF-MIB::ospfAdminStat (RFC 4750)
    # Tables of access points a wireless LAN controller manages: the standard CAPWAP MIB and the
    # AP tables of the controllers' own MIBs (rows exist only on a controller).
    "wlc-capwap": (1, 3, 6, 1, 2, 1, 196, 1),        # CAPWAP-BASE-MIB::capwapBaseObjects (RFC 5833)
    "wlc-airespace": (1, 3, 6, 1, 4, 1, 14179, 2, 2, 1),  # AIRESPACE-WIRELESS-MIB::bsnAPTable
    "wlc-lwapp": (1, 3, 6, 1, 4, 1, 9, 9, 513, 1, 1, 1),  # CISCO-LWAPP-AP-MIB::cLApTable
    "wlc-aruba": (1, 3, 6, 1, 4, 1, 14823, 2, 2, 1, 5, 2, 1, 4),  # WLSX-WLAN-MIB::wlsxWlanAPTable
    "wlc-huawei": (1, 3, 6, 1, 4, 1, 2011, 6, 139),  # HUAWEI-WLAN-MIB subtree (hwWlan)
}
# Standard identity objects in tables indexed by what only a walk would tell, read as the first row
# of their column in the same census GETNEXT (no request is added): IEEE802dot11-MIB's
# dot11ResourceInfoTable (IEEE Std 802.11 Annex C) is indexed by the radio's ifIndex; its product name
# and version are the access point's model and firmware where its sysDescr is a bare uname.
# (kind, column, MODULE::descriptor); the census keeps an answer under the column's OID.
FIRST_ROWS: tuple[tuple[str, Oid, str], ...] = (
    ("model", (1, 2, 840, 10036, 3, 1, 2, 1, 3), "IEEE802dot11-MIB::dot11manufacturerProductName"),
    ("firmware", (1, 2, 840, 10036, 3, 1, 2, 1, 4), "IEEE802dot11-MIB::dot11manufacturerProductVersion"),
)
# PRESENCE entries that count only when their first object has this value: ipForwarding is
# answered by every IP host; forwarding(1) is the evidence, notForwarding(2) is not. So is
# ospfAdminStat by every agent that implements OSPF-MIB; enabled(1) is the evidence.
PRESENCE_WHEN: dict[str, int] = {"ip-forwarding": 1, "ospf-enabled": 1}


def present_mibs(values: Sequence[Any]) -> frozenset[str]:
    """The PRESENCE keys a census answered (its values in PRESENCE order; None = no object)."""
    return frozenset(k for k, v in zip(PRESENCE, values, strict=True)
                     if v is not None and (k not in PRESENCE_WHEN or v == PRESENCE_WHEN[k]))

# snmp_depth "discovery": what identifies and classifies a device, nothing it sees or runs.
# Interfaces are read as an inventory reads them (names, type -- which tells physical ports from
# virtual ones when picking the device's MAC --, MAC, speed and state: an interface record without
# its state would read as "down", which the interface record cannot tell from "not asked");
# ipAddrTable says which interface carries the address we asked (so the device MAC is the one an
# inventory reports); the chassis gives serial, model and manufacturer. Classification needs besides
# the system scalars, the LLDP capabilities and the PRESENCE census, which discovery asks too, the kinds
# of the host's devices and of the entities' sensors (one column each, walked only where it has rows).
DISCOVERY_COLUMNS: dict[str, tuple[Oid, ...]] = {
    "if": COLUMNS["if"],
    "ifx": COLUMNS["ifx"],
    "ipad": COLUMNS["ipad"],
    "ent": COLUMNS["ent"],
    "hrdev": COLUMNS["hrdev"],
    "sensor": COLUMNS["sensor"],
}
DISCOVERY_SCALARS: tuple[Oid, ...] = tuple(o for o in SCALARS
                                           if o[:len(SYSTEM)] == SYSTEM or o == LLDP_LOC_SYS_CAP_ENABLED)


def depth_plan(depth: str) -> tuple[dict[str, tuple[Oid, ...]], tuple[Oid, ...]]:
    """The tables (name -> columns) and scalars read at an snmp_depth ("inventory"/"discovery")."""
    if depth == "discovery":
        return DISCOVERY_COLUMNS, DISCOVERY_SCALARS
    return COLUMNS, SCALARS

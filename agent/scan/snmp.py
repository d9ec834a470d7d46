"""SNMP inventory of devices (the only module importing pysnmp).

Per device: find a working credential (every community/user at once with a short timeout,
then again patiently — most devices answer the first try, silent addresses cost little, and an
ICMP port unreachable ends the search at once), read the system group with that same request,
ask once which tables exist (one GETNEXT naming every table), then walk each non-empty table
with one GETBULK stream that carries all wanted columns of a row per request:

- SNMPv2-MIB system group (RFC 3418) -> SnmpSystem, classification;
- IF-MIB ifTable/ifXTable (RFC 2863) and IP-MIB ipAddrTable (RFC 4293) -> interfaces, MACs;
- IP-MIB ipNetToMediaTable and ipNetToPhysicalTable (RFC 4293) -> SNMP_ARP_CACHE sightings;
- BRIDGE-MIB dot1dTpFdbTable (RFC 4188) and Q-BRIDGE-MIB dot1qTpFdbTable (RFC 4363) -> SNMP_FDB;
- ENTITY-MIB entPhysicalTable (RFC 6933) -> serial and model of the chassis;
- HOST-RESOURCES-MIB hrSystem and hrSWInstalledTable (RFC 2790) -> attributes and software;
- LLDP-MIB lldpRemTable / lldpRemManAddrTable (IEEE 802.1AB) -> SNMP_LLDP neighbours.

That is the default depth, "inventory". SweepOptions.snmp_depth = "discovery" reads only what
identifies and classifies a device (DISCOVERY_COLUMNS: the system group, the interfaces,
ipAddrTable, the ENTITY-MIB chassis), like FusionInventory's netdiscovery; its device observation
is the inventory's minus hrSystem attributes and software, and there are no ARP/FDB/LLDP
sightings.

Transports: SNMPv1/v2c go through a connected UDP socket per device and the small codec in
snmpber.py (pyasn1 decoding was the scanner's main CPU cost); SNMPv3 goes through pysnmp's
asyncio v3arch API with ONE SnmpEngine per sweep (creating an engine compiles MIB modules,
~0.2 s of CPU). Every request of every device passes one adaptive in-flight limit (AIMD on
timeouts, and a gentle decrease when round trips grow), so an overloaded agent is given room
instead of being buried in retransmissions.

A device that is silent, refuses every credential, or stalls gets TargetStatus(ok=False); a
table that loops (non-increasing OIDs) or never ends is cut and noted, the rest still counts.
Credentials never appear in a status or log line: they are named by position ("community #2").
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from agent.facts.model import NetworkInterface, SoftwareItem
from agent.scan import snmpber as ber
from agent.scan.base import Emit, Progress, ms_since
from agent.scan.classify import classify, mac_is_local, mac_vendor, normalise_mac
from agent.scan.model import Method, Observation, SeenVia, SnmpSystem, TargetStatus
from agent.scan.options import SnmpV3User, SweepOptions
from agent.scan.targets import Target

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
    "ent": tuple((*ENT_PHYSICAL, c) for c in (5, 11, 12, 13)),  # class serial mfg model
    "hr": (HR_SYSTEM,),
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


# IANAifType values that are not physical ports (IANAifType-MIB).
_VIRTUAL_IFTYPES = frozenset({24, 53, 131, 135, 136, 209})
# Where to ask "does this table have rows?": one GETNEXT per device names all of these; a table
# whose answer falls outside its prefix is empty and is never walked.
TABLE_PREFIX: dict[str, Oid] = {
    "if": IF_ENTRY, "ifx": IF_X_ENTRY, "ipad": IP_AD_ENTRY, "arp": IP_NET_TO_MEDIA, "arp2": IP_NET_TO_PHYS,
    "bport": DOT1D_BASE_PORT_IFINDEX[:-1], "fdb": DOT1D_TP_FDB, "qfdb": DOT1Q_TP_FDB,
    "qvlan": DOT1Q_VLAN_FDB_ID[:-1], "ent": ENT_PHYSICAL, "hr": HR_SYSTEM, "sw": HR_SW_INSTALLED,
    "lldploc": LLDP_LOC_PORT, "lldp": LLDP_REM, "lldpman": LLDP_REM_MAN_ADDR,
}
SYS_SERVICES = (*SYSTEM, 7, 0)                       # SNMPv2-MIB::sysServices.0
SCALARS: tuple[Oid, ...] = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_CONTACT, SYS_NAME, SYS_LOCATION,
                            SYS_SERVICES, HR_MEMORY_SIZE)
# Standard MIBs whose mere presence types a device; asked in the same census GETNEXT, never walked.
PRESENCE: dict[str, Oid] = {
    "ups-mib": (1, 3, 6, 1, 2, 1, 33, 1, 1),         # UPS-MIB::upsIdent (RFC 1628)
    "printer-mib": (1, 3, 6, 1, 2, 1, 43, 5, 1, 1),  # Printer-MIB::prtGeneralEntry (RFC 3805)
}

# snmp_depth "discovery": what identifies and classifies a device, nothing it sees or runs.
# Interfaces are read as an inventory reads them (names, type -- which tells physical ports from
# virtual ones when picking the device's MAC --, MAC, speed and state: an interface record without
# its state would read as "down", which the interface record cannot tell from "not asked");
# ipAddrTable says which interface carries the address we asked (so the device MAC is the one an
# inventory reports); the chassis gives serial, model and manufacturer. Classification needs only
# the system scalars and the PRESENCE census, which discovery asks too.
DISCOVERY_COLUMNS: dict[str, tuple[Oid, ...]] = {
    "if": COLUMNS["if"],
    "ifx": COLUMNS["ifx"],
    "ipad": COLUMNS["ipad"],
    "ent": COLUMNS["ent"],
}
DISCOVERY_SCALARS: tuple[Oid, ...] = tuple(o for o in SCALARS if o[:len(SYSTEM)] == SYSTEM)


def depth_plan(depth: str) -> tuple[dict[str, tuple[Oid, ...]], tuple[Oid, ...]]:
    """The tables (name -> columns) and scalars read at an snmp_depth ("inventory"/"discovery")."""
    if depth == "discovery":
        return DISCOVERY_COLUMNS, DISCOVERY_SCALARS
    return COLUMNS, SCALARS


FAST_TIMEOUT_S = 0.5
# Varbinds asked for per GETBULK (max-repetitions x columns). 48 keeps a response of typical
# table rows under ~4 KB (a few IP fragments at most) while cutting round trips ~50x against
# one-column walks; tooBig (RFC 3416 §4.2.3) halves it for agents with small buffers.
BULK_VARBINDS = 48
MAX_REPETITIONS = 25  # single-column walks, as snmpbulkwalk's -Cr25
FIRST_ROWS = 8  # rows asked for by a table's first GETBULK (doubling after)
WALKS_PER_DEVICE = 4  # table streams in flight per device (fewer after a timeout: back-off)


class SnmpError(Exception):
    """A request failed: timeout, authentication, or an error-status; str() is the reason."""


@dataclass(frozen=True, slots=True)
class Credential:
    """One way to talk to an agent; `label` is safe to print, the rest is not."""

    label: str
    version: str  # "1", "2c" or "3"
    community: str = field(default="", repr=False)
    user: SnmpV3User | None = field(default=None, repr=False)


def credentials(options: SweepOptions) -> tuple[Credential, ...]:
    """Every credential to try, in order: v2c communities, v3 users, then v1 communities.

    v1 comes last because a v1-only agent silently drops v2c packets: it is only worth the
    extra round trips once v2c has failed.
    """
    out = [Credential(f"v2c community #{i}", "2c", community=c) for i, c in enumerate(options.communities, 1)]
    out += [Credential(f"v3 user #{i} ({u.level})", "3", user=u) for i, u in enumerate(options.v3_users, 1)]
    out += [Credential(f"v1 community #{i}", "1", community=c) for i, c in enumerate(options.communities, 1)]
    return tuple(out)


def _auth_data(cred: Credential) -> Any:
    from pysnmp.hlapi.v3arch.asyncio import CommunityData, UsmUserData
    from pysnmp.hlapi.v3arch.asyncio import auth as usm

    if cred.version != "3":
        # mpModel 0 = SNMPv1, 1 = SNMPv2c (RFC 3412 msgProcessingModel values).
        return CommunityData(cred.community, mpModel=0 if cred.version == "1" else 1)
    user = cred.user
    assert user is not None
    auth_map = {
        "none": usm.USM_AUTH_NONE, "md5": usm.USM_AUTH_HMAC96_MD5, "sha": usm.USM_AUTH_HMAC96_SHA,
        "sha224": usm.USM_AUTH_HMAC128_SHA224, "sha256": usm.USM_AUTH_HMAC192_SHA256,
        "sha384": usm.USM_AUTH_HMAC256_SHA384, "sha512": usm.USM_AUTH_HMAC384_SHA512,
    }
    priv_map = {
        "none": usm.USM_PRIV_NONE, "des": usm.USM_PRIV_CBC56_DES, "3des": usm.USM_PRIV_CBC168_3DES,
        "aes": usm.USM_PRIV_CFB128_AES, "aes128": usm.USM_PRIV_CFB128_AES,
        # Blumenthal key extension (draft-blumenthal-aes-usm-04): net-snmp's AES192/AES256.
        "aes192": usm.USM_PRIV_CFB192_AES_BLUMENTHAL, "aes256": usm.USM_PRIV_CFB256_AES_BLUMENTHAL,
        # Reeder key extension (pysnmp's usmAesCfb192/256Protocol): Cisco IOS, net-snmp AES256C.
        "aes192c": usm.USM_PRIV_CFB192_AES, "aes256c": usm.USM_PRIV_CFB256_AES,
    }
    return UsmUserData(
        user.user,
        authKey=user.auth_key or None,
        privKey=user.priv_key or None,
        authProtocol=auth_map[user.auth_protocol],
        privProtocol=priv_map[user.priv_protocol],
    )


# --- value helpers ------------------------------------------------------------------------------
# Values reaching the parsers are plain Python (see snmpber): bytes, int, Oid tuples, None or an
# exception sentinel. SNMPv3 answers from pysnmp are converted by _plain() at the boundary.

def _plain(value: Any) -> Any:
    """A pysnmp/pyasn1 value as the plain value snmpber would have decoded."""
    name = type(value).__name__
    if name == "NoSuchObject":
        return ber.NO_SUCH_OBJECT
    if name == "NoSuchInstance":
        return ber.NO_SUCH_INSTANCE
    if name == "EndOfMibView":
        return ber.END_OF_MIB_VIEW
    if hasattr(value, "asTuple"):
        return tuple(value.asTuple())
    if hasattr(value, "asOctets"):
        return bytes(value.asOctets())
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _octets(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return bytes(value.asOctets())
    except AttributeError:
        return str(value).encode()


def _text(value: Any) -> str:
    """DisplayString (RFC 2579) as text; NULs some agents append are dropped."""
    return _octets(value).decode("utf-8", errors="replace").replace("\x00", "").strip()


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _is_exception_value(value: Any) -> bool:
    # noSuchObject / noSuchInstance / endOfMibView (RFC 3416 §4.2.1).
    return isinstance(value, ber.EXCEPTION_TYPES) or type(value).__name__ in (
        "NoSuchObject", "NoSuchInstance", "EndOfMibView")


def _oid_text(value: Any) -> str:
    if isinstance(value, tuple):
        return _dotted(value)
    return str(value.prettyPrint()) if hasattr(value, "prettyPrint") else str(value)

def parse_date_and_time(raw: bytes) -> datetime | None:
    """SNMPv2-TC DateAndTime (RFC 2579): 8 octets local time, or 11 with UTC offset.

    Returns None for the all-zero "unknown" value and anything malformed.
    """
    if len(raw) not in (8, 11):
        return None
    year = int.from_bytes(raw[0:2], "big")
    month, day, hour, minute, sec, deci = raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]
    tz = UTC
    if len(raw) == 11:
        sign = -1 if raw[8:9] == b"-" else 1
        tz = timezone(sign * timedelta(hours=raw[9], minutes=raw[10]))
    try:
        return datetime(year, month, day, hour, minute, min(sec, 59), deci * 100_000, tzinfo=tz)
    except ValueError:
        return None



# --- pacing -------------------------------------------------------------------------------------

class AdaptiveLimit:
    """How many requests may be in flight at once, adapted to how the peers cope (AIMD).

    A timeout from a device that has already answered is read as overload (the agent, or the
    path to it, is dropping or queueing): the limit halves, at most once per `cooldown_s`. A
    round trip longer than half the timeout means queues are building: the limit shrinks by a
    tenth before anything is lost. Quick answers grow it by 1/limit each (one step per "window").
    Silent addresses do not count: their timeouts say nothing about load.
    """

    def __init__(self, start: int, *, floor: int = 1, ceiling: int = 256, cooldown_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Start at `start` requests in flight, never below `floor` nor above `ceiling`."""
        self.floor, self.ceiling = max(1, floor), max(1, ceiling)
        self.limit = float(min(max(start, self.floor), self.ceiling))
        self.inflight = 0
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._last_cut = -1e9
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.cuts = 0

    async def acquire(self) -> None:
        """Wait for a free slot."""
        while self.inflight >= int(self.limit):
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
                self._wake()
                raise
        self.inflight += 1

    def release(self) -> None:
        """Give a slot back."""
        self.inflight -= 1
        self._wake()

    def _wake(self) -> None:
        free = int(self.limit) - self.inflight
        while free > 0 and self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                free -= 1

    def answered(self, rtt: float, timeout: float) -> None:
        """An answer came back after `rtt` seconds (the request's timeout was `timeout`)."""
        if rtt > timeout / 2:
            self.limit = max(self.floor, self.limit * 0.9)
        else:
            self.limit = min(self.ceiling, self.limit + 1.0 / self.limit)
            self._wake()

    def overloaded(self) -> None:
        """A peer known to be alive did not answer in time."""
        now = self.clock()
        if now - self._last_cut >= self.cooldown_s:
            self._last_cut = now
            self.limit = max(self.floor, self.limit / 2)
            self.cuts += 1


# --- walking ------------------------------------------------------------------------------------

class SnmpUnreachable(SnmpError):
    """The host said no SNMP agent listens (ICMP port unreachable or an immediate socket error)."""


@dataclass(slots=True)
class WalkResult:
    """Rows of one subtree, in order, plus a note when the walk was cut short."""

    rows: list[tuple[Oid, Any]] = field(default_factory=list)
    note: str = ""


class Session(abc.ABC):
    """One device, one working credential: GET, GETNEXT/GETBULK and table walks.

    Subclasses supply the transport (_get/_bulk); the walking logic here is shared and is
    unit-tested with a scripted _bulk.
    """

    cred: Credential
    max_rows: int
    varbinds: int
    bulk_varbinds: int = BULK_VARBINDS

    def __init__(self, cred: Credential, *, max_rows: int) -> None:
        """A session for `cred` that cuts any subtree at `max_rows` rows."""
        self.cred = cred
        self.max_rows = max_rows
        self.varbinds = 0
        self.bulk_varbinds = BULK_VARBINDS

    @abc.abstractmethod
    async def _get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        """GET of `oids` over this session's transport."""

    @abc.abstractmethod
    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        """GETBULK (non-repeaters 0) of `oids`; GETNEXT in SNMPv1 (reps ignored)."""

    async def get(self, oids: Sequence[Oid]) -> dict[Oid, Any]:
        """GET several scalars; missing ones are simply absent from the result."""
        vbs = await self._get(oids)
        self.varbinds += len(vbs)
        return {name: val for name, val in vbs if not _is_exception_value(val)}

    async def first_rows(self, prefixes: Sequence[Oid]) -> list[bool]:
        """One GETNEXT naming every prefix: True where the prefix has at least one row."""
        if not prefixes:
            return []
        vbs = await self._bulk(prefixes, 0) if self.cred.version == "1" else await self._next(prefixes)
        got = [False] * len(prefixes)
        for i, (oid, val) in enumerate(vbs[:len(prefixes)]):
            p = prefixes[i]
            got[i] = not _is_exception_value(val) and oid[:len(p)] == p
        return got

    async def _next(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        # GETBULK with non-repeaters = N is a GETNEXT of every varbind (RFC 3416 §4.2.3).
        return await self._bulk(oids, 1)

    async def walk(self, root: Oid) -> WalkResult:
        """Walk one subtree (see walk_table)."""
        return (await self.walk_table([root]))[0]

    async def walk_table(self, roots: Sequence[Oid]) -> list[WalkResult]:
        """Walk several subtrees (a table's columns) in lockstep, one GETBULK for all of them.

        Each request carries the cursor of every unfinished column, so one response holds
        whole rows. A column stops at the first OID outside its root, at endOfMibView, at an
        OID that does not increase (a broken agent would otherwise loop forever; RFC 3416 §4.2.3
        requires lexicographic order) and after `max_rows` rows (an endless table).
        """
        results = [WalkResult() for _ in roots]
        cursors = list(roots)
        active = list(range(len(roots)))
        # Slow start: most tables are short (a handful of ports, ARP entries, neighbours), and
        # every repetition past a table's end is work the agent does for nothing; so the first
        # request asks for FIRST_ROWS rows and each further one doubles, up to the varbind cap.
        rows_wanted = FIRST_ROWS
        while active:
            width = len(active)
            cap = max(1, self.bulk_varbinds // width) if len(roots) > 1 else MAX_REPETITIONS
            reps = min(cap, rows_wanted)
            rows_wanted *= 2
            vbs = await self._bulk([cursors[i] for i in active], reps)
            if not vbs:
                break
            done: set[int] = set()
            advanced = False
            for k, (oid, val) in enumerate(vbs):
                i = active[k % width]
                if i in done:
                    continue
                root, res = roots[i], results[i]
                if _is_exception_value(val) or oid[:len(root)] != root:
                    done.add(i)
                    continue
                if oid <= cursors[i]:
                    res.note = f"walk of {_dotted(root)} stopped: agent returned non-increasing OID {_dotted(oid)}"
                    done.add(i)
                    continue
                res.rows.append((oid, val))
                self.varbinds += 1
                cursors[i] = oid
                advanced = True
                if len(res.rows) >= self.max_rows:
                    res.note = f"walk of {_dotted(root)} cut at {self.max_rows} rows"
                    done.add(i)
            if not advanced and not done:
                break
            active = [i for i in active if i not in done]
        return results


def _dotted(oid: Oid) -> str:
    return ".".join(str(x) for x in oid)


class _Channel(asyncio.DatagramProtocol):
    """A connected UDP socket to one agent; answers are matched to requests by request-id.

    Connected, so that the kernel hands us the ICMP port-unreachable an agent-less host sends
    back (as ECONNREFUSED through error_received): "no SNMP here" in one round trip, not after
    every credential has timed out.
    """

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.waiters: dict[int, asyncio.Future[bytes]] = {}
        self.refused: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] # a datagram endpoint's transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        rid = ber.peek_request_id(data)
        fut = self.waiters.get(rid) if rid is not None else None
        if fut is not None and not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # ECONNREFUSED = ICMP port unreachable (RFC 1122 §4.1.3.1); EHOSTUNREACH / ENETUNREACH
        # = the kernel or a router says the address cannot be reached at all.
        self.refused = exc
        for fut in self.waiters.values():
            if not fut.done():
                fut.set_exception(SnmpUnreachable(f"no SNMP response ({_socket_reason(exc)})"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _socket_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "ICMP port unreachable: no agent listens on the SNMP port"
    return f"{type(exc).__name__}: {getattr(exc, 'strerror', '') or exc}"


_REQUEST_IDS = itertools.count(random.SystemRandom().randrange(1, 1 << 30))


class Pacer:
    """What every device of one sweep shares: the in-flight limit, and the v3 engine (lazily)."""

    def __init__(self, options: SweepOptions, limit: AdaptiveLimit | None = None) -> None:
        """Share `limit` (default: one sized from options.snmp_concurrency) across devices."""
        self.options = options
        self.limit = limit or AdaptiveLimit(min(16, options.snmp_concurrency * WALKS_PER_DEVICE),
                                            floor=2, ceiling=max(2, options.snmp_concurrency * WALKS_PER_DEVICE))
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        """The sweep's one pysnmp SnmpEngine (SNMPv3 only; USM state is kept per agent engine-ID)."""
        if self._engine is None:
            from pysnmp.hlapi.v3arch.asyncio import SnmpEngine
            self._engine = SnmpEngine()
        return self._engine

    def close(self) -> None:
        """Release the engine's sockets."""
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.close_dispatcher()
            self._engine = None


class CommunitySession(Session):
    """SNMPv1/v2c over a _Channel with the snmpber codec."""

    def __init__(self, channel: _Channel, cred: Credential, pacer: Pacer, *, timeout: float, retries: int,
                 max_rows: int) -> None:
        """Talk to the agent behind `channel` with `cred` (a community credential)."""
        super().__init__(cred, max_rows=max_rows)
        self.channel = channel
        self.pacer = pacer
        self.version = 0 if cred.version == "1" else 1
        self.community = cred.community.encode()
        self.timeout = timeout
        self.retries = retries
        self.answered = False  # once true, a timeout means overload rather than absence
        self.retransmissions = 0
        # Smoothed round trip and its variation (RFC 6298 §2): an agent that has slowed down
        # (busy, or queueing our own parallel requests) is waited for a little longer than the
        # configured timeout before a retransmission doubles its work; never shorter.
        self.srtt = 0.0
        self.rttvar = 0.0

    def _wait_s(self) -> float:
        if not self.answered:
            return self.timeout
        return max(self.timeout, min(self.srtt + 4 * self.rttvar, 4 * self.timeout))

    def _sample(self, rtt: float) -> None:
        if not self.answered:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt

    async def _request(self, pdu_tag: int, oids: Sequence[Oid], *, reps: int = 0) -> ber.Response:
        rid = next(_REQUEST_IDS) & 0x7FFFFFFF
        raw = ber.encode_request(self.version, self.community, pdu_tag, rid, oids,
                                 max_repetitions=reps if pdu_tag == ber.GETBULK else 0)
        data = await self._exchange(raw, rid)
        try:
            return ber.decode_response(data)
        except ber.BerError as exc:
            raise SnmpError(f"malformed response: {exc}") from exc

    async def _exchange(self, raw: bytes, rid: int) -> bytes:
        ch = self.channel
        if ch.refused is not None:
            raise SnmpUnreachable(f"no SNMP response ({_socket_reason(ch.refused)})")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bytes] = loop.create_future()
        ch.waiters[rid] = fut
        limit = self.pacer.limit
        try:
            # Retransmissions reuse the request-id: a late answer to an earlier copy still counts.
            first_sent = 0.0
            for attempt in range(self.retries + 1):
                await limit.acquire()
                wait = self._wait_s()
                try:
                    sent = time.monotonic()
                    first_sent = first_sent or sent
                    assert ch.transport is not None
                    ch.transport.sendto(raw)
                    if attempt:
                        self.retransmissions += 1
                    done, _ = await asyncio.wait({fut}, timeout=wait)
                finally:
                    limit.release()
                if done:
                    data = fut.result()  # raises SnmpUnreachable if the socket reported an error
                    now = time.monotonic()
                    limit.answered(now - sent, wait)
                    if not attempt:  # Karn's rule: an answer to a retransmission is ambiguous
                        self._sample(now - first_sent)
                    self.answered = True
                    return data
                if self.answered:
                    limit.overloaded()
            raise SnmpError("no SNMP response (timeout)")
        finally:
            ch.waiters.pop(rid, None)
            if not fut.done():
                fut.cancel()

    async def _get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        resp = await self._request(ber.GET, oids)
        if resp.error_status:
            # v1 agents answer noSuchName (2) for the whole PDU when one OID is missing
            # (RFC 1157 §4.1.2); ask one by one then.
            if resp.error_status == 2 and len(oids) > 1:
                out: list[tuple[Oid, Any]] = []
                for o in oids:
                    with contextlib.suppress(SnmpError):
                        out += await self._get([o])
                return out
            raise SnmpError(f"error-status {_STATUS.get(resp.error_status, resp.error_status)}")
        return resp.varbinds

    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        if self.version == 0:
            return await self._getnext_v1(oids)
        resp = await self._request(ber.GETBULK, oids, reps=reps)
        if resp.error_status:
            if resp.error_status == 1 and reps > 1:  # tooBig (RFC 3416 §4.2.3): ask for fewer rows
                self.bulk_varbinds = max(len(oids), self.bulk_varbinds // 2)
                return await self._bulk(oids, max(1, reps // 2))
            raise SnmpError(f"error-status {_STATUS.get(resp.error_status, resp.error_status)}")
        return resp.varbinds

    async def _getnext_v1(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        # GETBULK does not exist in SNMPv1 (RFC 3416 §4.2.3). A varbind past the end of the MIB
        # fails the whole PDU with noSuchName and its index (RFC 1157 §4.1.3): mark that one as
        # endOfMibView and ask again for the others.
        ended: dict[int, Any] = {}
        while True:
            ask = [i for i in range(len(oids)) if i not in ended]
            if not ask:
                return [(oids[i], ber.END_OF_MIB_VIEW) for i in range(len(oids))]
            resp = await self._request(ber.GETNEXT, [oids[i] for i in ask])
            if resp.error_status == 2 and 1 <= resp.error_index <= len(ask):
                ended[ask[resp.error_index - 1]] = True
                continue
            if resp.error_status:
                raise SnmpError(f"error-status {_STATUS.get(resp.error_status, resp.error_status)}")
            got = dict(zip(ask, resp.varbinds, strict=False))
            return [got.get(i, (oids[i], ber.END_OF_MIB_VIEW)) for i in range(len(oids))]

    async def _next(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        resp = await self._request(ber.GETNEXT, oids)
        if resp.error_status:
            raise SnmpError(f"error-status {_STATUS.get(resp.error_status, resp.error_status)}")
        return resp.varbinds


# RFC 3416 §3 error-status names, for readable reasons.
_STATUS = {1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr", 6: "noAccess",
           7: "wrongType", 8: "wrongLength", 9: "wrongEncoding", 10: "wrongValue", 11: "noCreation",
           12: "inconsistentValue", 13: "resourceUnavailable", 14: "commitFailed", 15: "undoFailed",
           16: "authorizationError", 17: "notWritable", 18: "inconsistentName"}


class UsmSession(Session):
    """SNMPv3 through pysnmp's asyncio v3arch API, on the sweep's shared engine."""

    def __init__(self, pacer: Pacer, cred: Credential, transport: Any, *, timeout: float, max_rows: int) -> None:
        """Talk through pysnmp `transport` (a UdpTransportTarget) with a v3 `cred`."""
        from pysnmp.hlapi.v3arch.asyncio import ContextData

        super().__init__(cred, max_rows=max_rows)
        self.pacer = pacer
        self.auth = _auth_data(cred)
        self.transport = transport
        self.context = ContextData()
        self.timeout = timeout
        self.answered = False

    async def _call(self, fn: Any, *args: Any) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType

        oids: Sequence[Oid] = args[-1]
        limit = self.pacer.limit
        await limit.acquire()
        try:
            sent = time.monotonic()
            err, status, index, vbs = await fn(self.pacer.engine, self.auth, self.transport, self.context,
                                               *args[:-1], *(ObjectType(ObjectIdentity(o)) for o in oids),
                                               lookupMib=False)
        finally:
            limit.release()
        if err:
            if "timeout" in str(err).lower() and self.answered:
                limit.overloaded()
            raise SnmpError(str(err))
        limit.answered(time.monotonic() - sent, self.timeout)
        self.answered = True
        if status:
            code = int(status)
            raise _StatusError(code, int(index))
        return [(tuple(name), _plain(val)) for name, val in vbs]

    async def _get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import get_cmd

        try:
            return await self._call(get_cmd, oids)
        except _StatusError as exc:
            raise SnmpError(f"error-status {_STATUS.get(exc.code, exc.code)}") from exc

    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import bulk_cmd

        try:
            return await self._call(bulk_cmd, 0, reps, oids)
        except _StatusError as exc:
            if exc.code == 1 and reps > 1:  # tooBig
                self.bulk_varbinds = max(len(oids), self.bulk_varbinds // 2)
                return await self._bulk(oids, max(1, reps // 2))
            raise SnmpError(f"error-status {_STATUS.get(exc.code, exc.code)}") from exc

    async def _next(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import next_cmd

        try:
            return await self._call(next_cmd, oids)
        except _StatusError as exc:
            raise SnmpError(f"error-status {_STATUS.get(exc.code, exc.code)}") from exc


class _StatusError(Exception):
    def __init__(self, code: int, index: int) -> None:
        super().__init__(code)
        self.code, self.index = code, index


def _table(results: Sequence[WalkResult], entry: Oid) -> dict[Oid, dict[int, Any]]:
    """Rows keyed by index, then by column number, from column walks under `entry`."""
    rows: dict[Oid, dict[int, Any]] = {}
    n = len(entry)
    for wr in results:
        for oid, val in wr.rows:
            if len(oid) > n + 1:
                rows.setdefault(oid[n + 1:], {})[oid[n]] = val
    return rows


# --- device inventory ---------------------------------------------------------------------------

@dataclass(slots=True)
class DeviceResult:
    """What one device yielded: its own observation, table sightings and a status."""

    observations: list[Observation]
    status: TargetStatus


@dataclass(slots=True)
class _Opened:
    session: Session
    scalars: dict[Oid, Any]


async def _try(pacer: Pacer, channel: _Channel, host: str, port: int, cred: Credential, *, timeout: float,
               retries: int, max_rows: int, scalars: Sequence[Oid] = SCALARS) -> _Opened:
    """Prove one credential with the request we need anyway: GET of the system scalars."""
    session: Session
    if cred.version == "3":
        from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget

        transport = await UdpTransportTarget.create((host, port), timeout=timeout, retries=retries)
        session = UsmSession(pacer, cred, transport, timeout=timeout, max_rows=max_rows)
    else:
        session = CommunitySession(channel, cred, pacer, timeout=timeout, retries=retries, max_rows=max_rows)
    got = await session.get(scalars)
    # Every SNMP entity implements SNMPv2-MIB (RFC 3418); an answer without it usually means a
    # v3 view that excludes it. It still proves the credential.
    return _Opened(session, got)


async def _v3_probe(channel: _Channel, timeout: float) -> None:
    """Send the credential-free SNMPv3 discovery probe; only its failure modes matter."""
    rid = next(_REQUEST_IDS) & 0x7FFFFFFF
    fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    channel.waiters[rid] = fut
    try:
        assert channel.transport is not None
        channel.transport.sendto(ber.encode_v3_discovery(rid, rid))
        await asyncio.wait({fut}, timeout=timeout)
        if fut.done():
            fut.result()  # SnmpUnreachable when ICMP said no agent is there
    finally:
        channel.waiters.pop(rid, None)


async def open_session(pacer: Pacer, channel: _Channel, host: str, options: SweepOptions, *,
                       port: int = 161) -> _Opened:
    """Find a credential the agent accepts: a fast pass over all, then a patient pass.

    Within a pass every credential is tried at once and the first in configured order that
    works wins, so a silent address costs one fast timeout plus one patient timeout (with its
    retries), not their sum over all credentials. SNMPv1 is only tried in the patient pass: a
    v1-only agent silently drops v2c, so v1 is worth its packets only once v2c has failed.

    Raises:
        SnmpError: nothing worked; the message summarises why, naming credentials by label.
    """
    creds = credentials(options)
    if not creds:
        raise SnmpError("no SNMP credentials configured")
    reasons: dict[str, str] = {}
    fast = min(FAST_TIMEOUT_S, options.timeout_s)
    for patient in (False, True):
        batch = [c for c in creds if patient or c.version != "1"]
        tasks = [asyncio.ensure_future(_try(pacer, channel, host, port, c,
                                            timeout=options.timeout_s if patient else fast,
                                            retries=options.retries if patient else 0,
                                            max_rows=options.snmp_max_rows,
                                            scalars=depth_plan(options.snmp_depth)[1])) for c in batch]
        probe = None
        if not patient and all(c.version == "3" for c in batch):
            probe = asyncio.ensure_future(_v3_probe(channel, fast))
        try:
            for cred, task in zip(batch, tasks, strict=True):
                try:
                    opened = await _first_of(task, probe)
                except SnmpUnreachable:
                    raise
                except SnmpError as exc:
                    reasons[cred.label] = str(exc)
                    continue
                if not patient:
                    # Walks use the patient settings: the device has shown it is there.
                    _set_patience(opened.session, options)
                return opened
        finally:
            for t in (*tasks, probe):
                if t is not None and not t.done():
                    t.cancel()
            await asyncio.gather(*(t for t in (*tasks, probe) if t is not None), return_exceptions=True)
    if reasons and all("timeout" in r.lower() or "no snmp response" in r.lower() for r in reasons.values()):
        raise SnmpError(f"no SNMP response ({len(creds)} credentials tried, fast and patient)")
    detail = "; ".join(f"{k}: {v}" for k, v in reasons.items())
    raise SnmpError(f"no credential accepted ({detail})")


async def _first_of(task: asyncio.Future[_Opened], probe: asyncio.Future[None] | None) -> _Opened:
    """The task's result, unless the v3 probe learns first that nothing listens."""
    if probe is not None and not probe.done():
        pending: set[asyncio.Future[Any]] = {task, probe}
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if probe.done() and not probe.cancelled():
            exc = probe.exception()
            if isinstance(exc, SnmpUnreachable):
                raise exc
    return await task


def _set_patience(session: Session, options: SweepOptions) -> None:
    if isinstance(session, CommunitySession):
        session.timeout, session.retries = options.timeout_s, options.retries
    elif isinstance(session, UsmSession):
        session.timeout = options.timeout_s
        session.transport.timeout, session.transport.retries = options.timeout_s, options.retries


async def inventory_device(pacer: Pacer, host: str, options: SweepOptions, *, port: int = 161) -> DeviceResult:
    """Read one device at options.snmp_depth: everything we know how to read, or its identity."""
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    try:
        _tr, channel = await loop.create_datagram_endpoint(_Channel, remote_addr=(host, port))
    except OSError as exc:  # e.g. no route: an immediate "nothing there"
        return DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                             reason=f"no SNMP response ({_socket_reason(exc)})",
                                             duration_ms=ms_since(started)))
    try:
        return await _inventory(pacer, channel, host, options, port, started)
    finally:
        channel.close()


async def _inventory(pacer: Pacer, channel: _Channel, host: str, options: SweepOptions, port: int,
                     started: float) -> DeviceResult:
    try:
        opened = await open_session(pacer, channel, host, options, port=port)
        session, scalars = opened.session, opened.scalars
    except SnmpError as exc:
        return DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False, reason=str(exc),
                                             duration_ms=ms_since(started)))
    columns, _ = depth_plan(options.snmp_depth)
    try:
        census = await session.first_rows([*(TABLE_PREFIX[k] for k in columns), *PRESENCE.values()])
        keys = tables_to_walk(dict(zip(columns, census, strict=False)))
    except SnmpError:
        # The one-request table census failed (a stalling agent, a response too big): walk every
        # table and let each succeed or fail on its own, as a partial inventory.
        census = [True] * len(columns) + [False] * len(PRESENCE)
        keys = list(columns)
    mibs = frozenset(k for k, has in zip(PRESENCE, census[len(columns):], strict=True) if has)
    # Per-device back-off: after a timeout this device gets one table stream at a time.
    streams = AdaptiveLimit(WALKS_PER_DEVICE, floor=1, ceiling=WALKS_PER_DEVICE, cooldown_s=0.0)
    errors: list[str] = []

    async def walk(key: str) -> list[WalkResult]:
        await streams.acquire()
        try:
            if key == "ent":
                return await walk_entities(session)
            return await session.walk_table(columns[key])
        except SnmpError as exc:
            if "timeout" in str(exc).lower():
                streams.limit = 1.0
            errors.append(f"walk of {key} table ({_dotted(TABLE_PREFIX[key])}) failed: {exc}")
            return [WalkResult() for _ in columns[key]]
        finally:
            streams.release()

    walked = await asyncio.gather(*(walk(k) for k in keys))
    tables = dict(zip(keys, walked, strict=True))
    notes = [w.note for group in walked for w in group if w.note]
    obs = build_observations(host, scalars, tables, seen_at=datetime.now(UTC), mibs=mibs)
    skipped = len(columns) - len(keys)
    reason = (f"{session.cred.label}; {options.snmp_depth}; {session.varbinds} varbinds; {len(keys)} tables walked, "
              f"{skipped} empty or not needed")
    resent = int(getattr(session, "retransmissions", 0))
    if resent:
        reason += f"; {resent} retransmissions"
    if notes:
        reason += "; " + "; ".join(notes)
    if errors:
        # A device that answers its system group but stalls its tables is half-inventoried:
        # say so (ok=False) while still reporting what it did answer.
        reason = (f"partial {options.snmp_depth}: {len(errors)} of {len(keys)} table walks failed "
                  f"(first: {errors[0]}); {reason}")
    return DeviceResult(obs, TargetStatus(target=host, method=Method.SNMP, ok=not errors, reason=reason,
                                          duration_ms=ms_since(started)))


CHASSIS_GET_MAX = 8  # chassis entities whose serial/mfg/model one GET asks for (a stack has a few)


async def walk_entities(session: Session) -> list[WalkResult]:
    """entPhysicalTable as build_observations reads it, without walking every entity's strings.

    A chassis, switch stack or router has hundreds of entities (ports, modules, sensors); only
    the chassis' serial, manufacturer and model are used. So: walk entPhysicalClass alone, GET
    serial/mfg/model of the chassis (class 3) entries, and walk those three columns for every
    entity only when no chassis carries a serial or a model (the fallback build_observations then
    applies to all). Same result as walking the four columns, a third of the varbinds or less.
    """
    cls_col, *str_cols = COLUMNS["ent"]
    (classes,) = await session.walk_table([cls_col])
    base = len(cls_col)
    chassis = [oid[base:] for oid, val in classes.rows if _int(val) == 3][:CHASSIS_GET_MAX]
    if chassis:
        got = await session.get([(*col, *idx) for idx in chassis for col in str_cols])
        if any(_text(v) for (oid, v) in got.items() if oid[base - 1] in (11, 13)):
            return [classes, *(WalkResult(rows=[(o, v) for o, v in got.items() if o[:base] == col])
                               for col in str_cols)]
    return [classes, *await session.walk_table(str_cols)]


def build_observations(host: str, scalars: dict[Oid, Any], tables: Mapping[str, Sequence[WalkResult]],
                       *, seen_at: datetime, mibs: frozenset[str] = frozenset()) -> list[Observation]:
    """Turn raw SNMP answers into Observations (pure; unit-tested with recorded values)."""
    def s(oid: Oid) -> str:
        return _text(scalars[oid]) if oid in scalars else ""

    object_id = _oid_text(scalars[SYS_OBJECT_ID]) if SYS_OBJECT_ID in scalars else ""
    system = SnmpSystem(descr=s(SYS_DESCR), object_id=object_id,
                        uptime_ticks=_int(scalars.get(SYS_UPTIME, 0)), contact=s(SYS_CONTACT),
                        name=s(SYS_NAME), location=s(SYS_LOCATION))
    cls = classify(system.object_id, system.descr, services=_int(scalars.get(SYS_SERVICES, 0)), mibs=mibs)

    # Interfaces: ifTable + ifXTable + ipAddrTable, keyed by ifIndex.
    iftab = _table(tables.get("if", ()), IF_ENTRY)
    ifx = _table(tables.get("ifx", ()), IF_X_ENTRY)
    addrs: dict[int, list[str]] = {}
    host_ifindex = 0
    for index, cols in _table(tables.get("ipad", ()), IP_AD_ENTRY).items():
        if len(index) != 4 or 2 not in cols:
            continue
        ip = ".".join(str(x) for x in index)
        mask = _octets(cols[3]) if 3 in cols else b""
        prefix = sum(bin(b).count("1") for b in mask) if len(mask) == 4 else 32
        addrs.setdefault(_int(cols[2]), []).append(f"{ip}/{prefix}")
        if ip == host:
            host_ifindex = _int(cols[2])
    names: dict[int, str] = {}
    macs: dict[int, str] = {}
    interfaces: list[NetworkInterface] = []
    for index in sorted(iftab, key=lambda i: i[0] if i else 0):
        if len(index) != 1:
            continue
        idx = index[0]
        cols, xcols = iftab[index], ifx.get(index, {})
        name = _text(xcols[1]) if 1 in xcols and _text(xcols[1]) else _text(cols.get(2, b""))
        names[idx] = name
        macs[idx] = normalise_mac(_octets(cols[6])) if 6 in cols else ""
        high = _int(xcols.get(15, 0))
        interfaces.append(NetworkInterface(
            name=name, mac=macs[idx],
            addresses=tuple(addrs.get(idx, ())), is_virtual=_int(cols.get(3, 0)) in _VIRTUAL_IFTYPES,
            speed_mbps=high if high else _int(cols.get(5, 0)) // 1_000_000,
            is_up=_int(cols.get(8, 0)) == 1,  # ifOperStatus up(1)
        ))
    device_mac = macs.get(host_ifindex, "") or next(
        (i.mac for i in interfaces if i.mac and not i.is_virtual and not mac_is_local(i.mac)), "")

    # ENTITY-MIB: the chassis (entPhysicalClass chassis(3)) carries the box's serial and model.
    serial = model = ent_vendor = ""
    ents = _table(tables.get("ent", ()), ENT_PHYSICAL)
    for index in sorted(ents, key=lambda i: (_int(ents[i].get(5, 0)) != 3, i)):
        cols = ents[index]
        if _text(cols.get(11, b"")) or _text(cols.get(13, b"")):
            serial, model = _text(cols.get(11, b"")), _text(cols.get(13, b""))
            ent_vendor = _text(cols.get(12, b""))
            break

    # HOST-RESOURCES-MIB: hrSystem scalars and installed software (raw names; the collector splits
    # "OpenSSL 1.0.1e (32-bit)"-style names, so nothing is guessed here).
    attributes: dict[str, str] = {}
    for oid, val in (r for w in tables.get("hr", ()) for r in w.rows):
        col = oid[len(HR_SYSTEM)] if len(oid) > len(HR_SYSTEM) else 0
        label = {1: "hrSystemUptime", 3: "hrSystemInitialLoadDevice", 4: "hrSystemInitialLoadParameters",
                 5: "hrSystemNumUsers", 6: "hrSystemProcesses", 7: "hrSystemMaxProcesses"}.get(col)
        if col == 2:
            when = parse_date_and_time(_octets(val))
            if when:
                attributes["hrSystemDate"] = when.isoformat()
        elif label:
            attributes[label] = _text(val) if col == 4 else str(_int(val))
    if HR_MEMORY_SIZE in scalars:
        attributes["hrMemorySizeKiB"] = str(_int(scalars[HR_MEMORY_SIZE]))
    software: list[SoftwareItem] = []
    for _index, cols in sorted(_table(tables.get("sw", ()), HR_SW_INSTALLED).items()):
        name = _text(cols.get(2, b""))
        if name:
            software.append(SoftwareItem(name=name, version="", source="snmp",
                                         installed_at=parse_date_and_time(_octets(cols[5])) if 5 in cols else None))

    vendor = mac_vendor(device_mac) if device_mac else ""
    device = Observation(
        method=Method.SNMP, seen_at=seen_at, ip=host, mac=device_mac, hostname=system.name,
        vendor=vendor or ent_vendor or cls.vendor, device_type=cls.device_type, os_family=cls.os_family,
        snmp=system, software=tuple(software), serial=serial, model=model, interfaces=tuple(interfaces),
        mac_is_local=mac_is_local(device_mac) if device_mac else False,
        attributes=tuple(sorted(attributes.items())),
    )
    out = [device]
    out += _arp_cache(host, system.name, names, tables, seen_at)
    out += _fdb(host, system.name, names, tables, seen_at)
    out += _lldp(host, system.name, tables, seen_at)
    return out


def _sighting(method: Method, seen_at: datetime, ip: str, mac: str, via: SeenVia, **kw: Any) -> Observation:
    return Observation(method=method, seen_at=seen_at, ip=ip, mac=mac, vendor=mac_vendor(mac),
                       mac_is_local=mac_is_local(mac), seen_via=via, **kw)


def _arp_cache(host: str, name: str, names: dict[int, str], tables: Mapping[str, Sequence[WalkResult]],
               seen_at: datetime) -> list[Observation]:
    out: list[Observation] = []
    seen: set[tuple[str, str, int]] = set()
    # ipNetToPhysicalTable: index ifIndex.addrType.len.addr (InetAddress index, RFC 4001 §4.1);
    # only ipv4(1) is read. ipNetToPhysicalType invalid(2) marks deleted entries (RFC 4293).
    for index, cols in _table(tables.get("arp2", ()), IP_NET_TO_PHYS).items():
        if len(index) == 7 and index[1] == 1 and index[2] == 4 and _int(cols.get(6, 0)) != 2:
            _add_arp(out, seen, host, name, names, index[0], ".".join(map(str, index[3:])), cols.get(4), seen_at)
    # ipNetToMediaTable: index ifIndex.a.b.c.d; ipNetToMediaType invalid(2) likewise.
    for index, cols in _table(tables.get("arp", ()), IP_NET_TO_MEDIA).items():
        if len(index) == 5 and _int(cols.get(4, 0)) != 2:
            _add_arp(out, seen, host, name, names, index[0], ".".join(map(str, index[1:])), cols.get(2), seen_at)
    return out


def _add_arp(out: list[Observation], seen: set[tuple[str, str, int]], host: str, name: str,
             names: dict[int, str], ifindex: int, ip: str, phys: Any, seen_at: datetime) -> None:
    mac = normalise_mac(_octets(phys)) if phys is not None else ""
    # Incomplete entries carry an empty or all-zero address: a sighting of nothing.
    if not mac or mac in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff") or (ip, mac, ifindex) in seen:
        return
    seen.add((ip, mac, ifindex))
    via = SeenVia(device_ip=host, device_name=name, if_index=ifindex, port_name=names.get(ifindex, ""))
    out.append(_sighting(Method.SNMP_ARP_CACHE, seen_at, ip, mac, via))


def _fdb(host: str, name: str, names: dict[int, str], tables: Mapping[str, Sequence[WalkResult]],
         seen_at: datetime) -> list[Observation]:
    port_if = {idx[0]: _int(cols[2]) for idx, cols in
               _table(tables.get("bport", ()), DOT1D_BASE_PORT_IFINDEX[:-1]).items() if len(idx) == 1 and 2 in cols}
    # dot1qVlanFdbId: index TimeMark.VlanIndex -> FdbId; invert to learn each FDB's VLAN.
    fdb_vlan: dict[int, int] = {}
    for idx, cols in _table(tables.get("qvlan", ()), DOT1Q_VLAN_FDB_ID[:-1]).items():
        if len(idx) == 2 and 3 in cols:
            fdb_vlan.setdefault(_int(cols[3]), idx[1])
    out: list[Observation] = []
    seen: set[tuple[str, int]] = set()

    def add(mac_ids: Oid, port: int, status: int, vlan: int) -> None:
        # dot1dTpFdbStatus/dot1qTpFdbStatus self(4) is the bridge's own address, invalid(2) stale.
        if len(mac_ids) != 6 or status in (2, 4) or port == 0:
            return
        mac = normalise_mac(bytes(mac_ids))
        if (mac, port) in seen:
            return
        seen.add((mac, port))
        ifindex = port_if.get(port, 0)
        via = SeenVia(device_ip=host, device_name=name, if_index=ifindex,
                      port_name=names.get(ifindex, "") or f"bridge port {port}", vlan=vlan)
        out.append(_sighting(Method.SNMP_FDB, seen_at, "", mac, via))

    # Q-BRIDGE first (it knows the VLAN); BRIDGE-MIB adds what an 802.1Q-unaware switch reports.
    for idx, cols in sorted(_table(tables.get("qfdb", ()), DOT1Q_TP_FDB).items()):
        if len(idx) == 7:
            add(idx[1:], _int(cols.get(2, 0)), _int(cols.get(3, 3)), fdb_vlan.get(idx[0], idx[0]))
    for idx, cols in sorted(_table(tables.get("fdb", ()), DOT1D_TP_FDB).items()):
        add(idx, _int(cols.get(2, 0)), _int(cols.get(3, 3)), 0)
    return out


def _lldp(host: str, name: str, tables: Mapping[str, Sequence[WalkResult]], seen_at: datetime) -> list[Observation]:
    loc = {idx[0]: cols for idx, cols in _table(tables.get("lldploc", ()), LLDP_LOC_PORT).items() if len(idx) == 1}
    man: dict[tuple[int, int, int], str] = {}
    # lldpRemManAddrTable index: TimeMark.LocalPortNum.RemIndex.AddrSubtype.len.addr (IANA
    # address family 1 = IPv4).
    for idx, _cols in _table(tables.get("lldpman", ()), LLDP_REM_MAN_ADDR).items():
        if len(idx) == 9 and idx[3] == 1 and idx[4] == 4:
            man.setdefault((idx[0], idx[1], idx[2]), ".".join(map(str, idx[5:])))
    out: list[Observation] = []
    for idx, cols in sorted(_table(tables.get("lldp", ()), LLDP_REM).items()):
        if len(idx) != 3:
            continue
        # lldpRemChassisIdSubtype macAddress(4) / lldpRemPortIdSubtype macAddress(3) (LLDP-MIB TCs).
        chassis = _octets(cols[5]) if 5 in cols else b""
        mac = normalise_mac(chassis) if _int(cols.get(4, 0)) == 4 else ""
        if not mac and _int(cols.get(6, 0)) == 3 and 7 in cols:
            mac = normalise_mac(_octets(cols[7]))
        lcols = loc.get(idx[1], {})
        port = _text(lcols.get(4, b"")) or _text(lcols.get(3, b"")) or f"lldp port {idx[1]}"
        attrs = {"lldpRemPortId": _text(cols.get(7, b"")) if _int(cols.get(6, 0)) != 3 else mac,
                 "lldpRemPortDesc": _text(cols.get(8, b"")), "lldpRemSysDesc": _text(cols.get(10, b""))}
        if not mac:
            attrs["lldpRemChassisId"] = chassis.hex(":") if any(b < 32 for b in chassis) else chassis.decode(
                "utf-8", errors="replace")
        descr = _text(cols.get(10, b""))
        cls = classify("", descr)
        via = SeenVia(device_ip=host, device_name=name, port_name=port)
        out.append(_sighting(Method.SNMP_LLDP, seen_at, man.get(idx, ""), mac, via,
                             hostname=_text(cols.get(9, b"")), device_type=cls.device_type if descr else "",
                             os_family=cls.os_family, attributes=tuple(sorted((k, v) for k, v in attrs.items() if v))))
    return out


# --- many devices at once -----------------------------------------------------------------------

async def inventory_many(
    hosts: Sequence[str],
    options: SweepOptions,
    on_result: Callable[[DeviceResult], None],
    *,
    deadline: float,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    port: int = 161,
    pacer: Pacer | None = None,
) -> None:
    """Inventory many devices concurrently (at most options.snmp_concurrency at a time).

    All devices share one Pacer: one adaptive in-flight limit and one SNMPv3 engine. Devices
    still unfinished at the deadline (or on stop) get a not-ok status; nothing raises.
    """
    own = pacer is None
    pacer = pacer or Pacer(options)
    sem = asyncio.Semaphore(options.snmp_concurrency)
    done = 0

    async def one(host: str) -> None:
        nonlocal done
        async with sem:
            started = time.monotonic()
            try:
                remaining = max(0.001, deadline - time.monotonic())
                result = await asyncio.wait_for(inventory_device(pacer, host, options, port=port), remaining)
            except TimeoutError:
                result = DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                                       reason="time budget exhausted before the device finished",
                                                       duration_ms=ms_since(started)))
            except Exception as exc:  # noqa: BLE001 - pysnmp internals must not end the sweep
                result = DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                                       reason=f"SNMP failed: {type(exc).__name__}: {exc}",
                                                       duration_ms=ms_since(started)))
            on_result(result)
            done += 1
            if progress is not None and (done % 16 == 0 or done == len(hosts)):
                progress(f"snmp: {done}/{len(hosts)} devices done (in-flight limit {int(pacer.limit.limit)})")

    tasks = [asyncio.ensure_future(one(h)) for h in hosts]

    async def watch() -> None:
        if stop is None:
            return
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        watcher.cancel()
        if own:
            pacer.close()
    for host, res in zip(hosts, results, strict=True):
        if isinstance(res, asyncio.CancelledError):
            on_result(DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                                    reason="interrupted")))


def run_snmp(
    targets: Sequence[Target],
    options: SweepOptions,
    emit: Emit,
    *,
    stop: threading.Event,
    deadline: float,
    progress: Progress | None = None,
) -> None:
    """The SNMP scanner as sweep() calls it: each target here is one device address."""
    hosts = [a for t in targets for a in t.addresses]
    if not hosts:
        return

    def on_result(res: DeviceResult) -> None:
        for o in res.observations:
            emit(o)
        emit(res.status)

    asyncio.run(inventory_many(hosts, options, on_result, deadline=deadline, stop=stop, progress=progress))


def query_device(host: str, options: SweepOptions, *, port: int = 161, timeout_s: float = 60.0) -> DeviceResult:
    """Synchronous one-device inventory (benchmarks, ad-hoc use)."""
    out: list[DeviceResult] = []
    asyncio.run(inventory_many([host], options, out.append, deadline=time.monotonic() + timeout_s, port=port))
    return out[0]

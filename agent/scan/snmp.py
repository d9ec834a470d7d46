"""SNMP inventory of devices through pysnmp 7's asyncio API (the only module importing pysnmp).

Per device: find a working credential (every community/user once with a short timeout, then
again patiently — most devices answer the first try, silent addresses cost little), then read
in parallel, with GETBULK walks that never leave the requested column:

- SNMPv2-MIB system group (RFC 3418) -> SnmpSystem, classification;
- IF-MIB ifTable/ifXTable (RFC 2863) and IP-MIB ipAddrTable (RFC 4293) -> interfaces, MACs;
- IP-MIB ipNetToMediaTable and ipNetToPhysicalTable (RFC 4293) -> SNMP_ARP_CACHE sightings;
- BRIDGE-MIB dot1dTpFdbTable (RFC 4188) and Q-BRIDGE-MIB dot1qTpFdbTable (RFC 4363) -> SNMP_FDB;
- ENTITY-MIB entPhysicalTable (RFC 6933) -> serial and model of the chassis;
- HOST-RESOURCES-MIB hrSystem and hrSWInstalledTable (RFC 2790) -> attributes and software;
- LLDP-MIB lldpRemTable / lldpRemManAddrTable (IEEE 802.1AB) -> SNMP_LLDP neighbours.

A device that is silent, refuses every credential, or stalls gets TargetStatus(ok=False); a
table that loops (non-increasing OIDs) or never ends is cut and noted, the rest still counts.
Credentials never appear in a status or log line: they are named by position ("community #2").
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from agent.facts.model import NetworkInterface, SoftwareItem
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
    "ent": tuple((*ENT_PHYSICAL, c) for c in (2, 5, 7, 11, 12, 13)),  # descr class name serial mfg model
    "hr": (HR_SYSTEM,),
    "sw": ((*HR_SW_INSTALLED, 2), (*HR_SW_INSTALLED, 5)),          # name date
    "lldploc": ((*LLDP_LOC_PORT, 3), (*LLDP_LOC_PORT, 4)),          # portId portDesc
    "lldp": tuple((*LLDP_REM, c) for c in (4, 5, 6, 7, 8, 9, 10)),
    "lldpman": ((*LLDP_REM_MAN_ADDR, 3),),                           # lldpRemManAddrIfSubtype
}

# IANAifType values that are not physical ports (IANAifType-MIB).
_VIRTUAL_IFTYPES = frozenset({24, 53, 131, 135, 136, 209})
FAST_TIMEOUT_S = 0.5
MAX_REPETITIONS = 25
WALKS_PER_DEVICE = 6


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

def _octets(value: Any) -> bytes:
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
    return type(value).__name__ in ("NoSuchObject", "NoSuchInstance", "EndOfMibView")


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


# --- walking ------------------------------------------------------------------------------------

@dataclass(slots=True)
class WalkResult:
    """Rows of one subtree, in order, plus a note when the walk was cut short."""

    rows: list[tuple[Oid, Any]] = field(default_factory=list)
    note: str = ""


class Session:
    """One device, one working credential; get() and walk() map pysnmp errors to SnmpError."""

    def __init__(self, engine: Any, cred: Credential, transport: Any, *, max_rows: int) -> None:
        """Wrap an engine, credential and transport target (see open_session)."""
        from pysnmp.hlapi.v3arch.asyncio import ContextData

        self.engine = engine
        self.cred = cred
        self.auth = _auth_data(cred)
        self.transport = transport
        self.context = ContextData()
        self.max_rows = max_rows
        self.varbinds = 0

    async def get(self, oids: Sequence[Oid]) -> dict[Oid, Any]:
        """GET several scalars; missing ones are simply absent from the result."""
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType, get_cmd

        err, status, _index, vbs = await get_cmd(
            self.engine, self.auth, self.transport, self.context,
            *(ObjectType(ObjectIdentity(o)) for o in oids), lookupMib=False)
        if err:
            raise SnmpError(str(err))
        if status:
            # v1 agents answer noSuchName (2) for the whole PDU when one OID is missing
            # (RFC 1157 §4.1.2); ask one by one then.
            if int(status) == 2 and len(oids) > 1:
                out: dict[Oid, Any] = {}
                for o in oids:
                    with contextlib.suppress(SnmpError):
                        out.update(await self.get([o]))
                return out
            raise SnmpError(f"error-status {status.prettyPrint() if hasattr(status, 'prettyPrint') else status}")
        self.varbinds += len(vbs)
        return {tuple(name): val for name, val in vbs if not _is_exception_value(val)}

    async def _next(self, oid: Oid, reps: int) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType, bulk_cmd, next_cmd

        if self.cred.version == "1":  # GETBULK does not exist in SNMPv1 (RFC 3416 §4.2.3)
            err, status, _, vbs = await next_cmd(self.engine, self.auth, self.transport, self.context,
                                                 ObjectType(ObjectIdentity(oid)), lookupMib=False)
        else:
            err, status, _, vbs = await bulk_cmd(self.engine, self.auth, self.transport, self.context,
                                                 0, reps, ObjectType(ObjectIdentity(oid)), lookupMib=False)
        if err:
            raise SnmpError(str(err))
        if status:
            code = int(status)
            if code == 2 and self.cred.version == "1":  # noSuchName: end of the MIB view in v1
                return []
            if code == 1 and reps > 1:  # tooBig (RFC 3416 §4.2.3): ask for fewer rows
                return await self._next(oid, max(1, reps // 2))
            raise SnmpError(f"error-status {code}")
        return [(tuple(name), val) for name, val in vbs]

    async def walk(self, root: Oid) -> WalkResult:
        """Walk one subtree with GETBULK, staying inside it and refusing to loop.

        Stops at the first OID outside `root`, at endOfMibView, at an OID that does not
        increase (a broken agent would otherwise loop forever; RFC 3416 §4.2.3 requires
        lexicographic order) and after `max_rows` rows (an endless table).
        """
        res = WalkResult()
        cursor = root
        n = len(root)
        while True:
            vbs = await self._next(cursor, MAX_REPETITIONS)
            if not vbs:
                return res
            for oid, val in vbs:
                if _is_exception_value(val) or oid[:n] != root:
                    return res
                if oid <= cursor:
                    res.note = f"walk of {_dotted(root)} stopped: agent returned non-increasing OID {_dotted(oid)}"
                    return res
                res.rows.append((oid, val))
                self.varbinds += 1
                cursor = oid
                if len(res.rows) >= self.max_rows:
                    res.note = f"walk of {_dotted(root)} cut at {self.max_rows} rows"
                    return res


def _dotted(oid: Oid) -> str:
    return ".".join(str(x) for x in oid)


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


async def _try(engine: Any, host: str, port: int, cred: Credential, *, timeout: float, retries: int,
               max_rows: int) -> Session:
    from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget

    transport = await UdpTransportTarget.create((host, port), timeout=timeout, retries=retries)
    session = Session(engine, cred, transport, max_rows=max_rows)
    got = await session.get([SYS_OBJECT_ID])
    if SYS_OBJECT_ID not in got:
        # Every SNMP entity implements SNMPv2-MIB (RFC 3418); an answer without it usually
        # means a v3 view that excludes it. It still proves the credential.
        await session.get([SYS_DESCR])
    return session


async def open_session(engine: Any, host: str, options: SweepOptions, *, port: int = 161) -> Session:
    """Find a credential the agent accepts: a fast pass over all, then a patient pass.

    Raises:
        SnmpError: nothing worked; the message summarises why, naming credentials by label.
    """
    creds = credentials(options)
    if not creds:
        raise SnmpError("no SNMP credentials configured")
    reasons: dict[str, str] = {}
    fast = min(FAST_TIMEOUT_S, options.timeout_s)
    for patient in (False, True):
        for cred in creds:
            if not patient and cred.version == "1":
                continue
            try:
                session = await _try(engine, host, port, cred,
                                     timeout=options.timeout_s if patient else fast,
                                     retries=options.retries if patient else 0, max_rows=options.snmp_max_rows)
            except SnmpError as exc:
                reasons[cred.label] = str(exc)
                continue
            # Walks use the patient settings: the device has shown it is there.
            from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget
            session.transport = await UdpTransportTarget.create(
                (host, port), timeout=options.timeout_s, retries=options.retries)
            return session
    if reasons and all("timeout" in r.lower() or "no snmp response" in r.lower() for r in reasons.values()):
        raise SnmpError(f"no SNMP response ({len(creds)} credentials tried, fast and patient)")
    detail = "; ".join(f"{k}: {v}" for k, v in reasons.items())
    raise SnmpError(f"no credential accepted ({detail})")


async def inventory_device(engine: Any, host: str, options: SweepOptions, *, port: int = 161) -> DeviceResult:
    """Read everything we know how to read from one device."""
    started = time.monotonic()
    try:
        session = await open_session(engine, host, options, port=port)
        scalars = await session.get([SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_CONTACT, SYS_NAME,
                                     SYS_LOCATION, HR_MEMORY_SIZE])
    except SnmpError as exc:
        return DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False, reason=str(exc),
                                             duration_ms=ms_since(started)))
    sem = asyncio.Semaphore(WALKS_PER_DEVICE)
    errors: list[str] = []

    async def walk(root: Oid) -> WalkResult:
        async with sem:
            try:
                return await session.walk(root)
            except SnmpError as exc:
                errors.append(f"walk of {_dotted(root)} failed: {exc}")
                return WalkResult()

    keys = list(COLUMNS)
    walked = await asyncio.gather(*(asyncio.gather(*(walk(c) for c in COLUMNS[k])) for k in keys))
    tables = dict(zip(keys, walked, strict=True))
    notes = [w.note for group in walked for w in group if w.note]
    obs = build_observations(host, scalars, tables, seen_at=datetime.now(UTC))
    reason = f"{session.cred.label}; {session.varbinds} varbinds"
    if notes:
        reason += "; " + "; ".join(notes)
    if errors:
        # A device that answers its system group but stalls its tables is half-inventoried:
        # say so (ok=False) while still reporting what it did answer.
        total = sum(len(c) for c in COLUMNS.values())
        reason = f"partial inventory: {len(errors)} of {total} table walks failed (first: {errors[0]}); {reason}"
    return DeviceResult(obs, TargetStatus(target=host, method=Method.SNMP, ok=not errors, reason=reason,
                                          duration_ms=ms_since(started)))


def build_observations(host: str, scalars: dict[Oid, Any], tables: Mapping[str, Sequence[WalkResult]],
                       *, seen_at: datetime) -> list[Observation]:
    """Turn raw SNMP answers into Observations (pure; unit-tested with recorded values)."""
    def s(oid: Oid) -> str:
        return _text(scalars[oid]) if oid in scalars else ""

    object_id = str(scalars[SYS_OBJECT_ID].prettyPrint()) if SYS_OBJECT_ID in scalars else ""
    system = SnmpSystem(descr=s(SYS_DESCR), object_id=object_id,
                        uptime_ticks=_int(scalars.get(SYS_UPTIME, 0)), contact=s(SYS_CONTACT),
                        name=s(SYS_NAME), location=s(SYS_LOCATION))
    cls = classify(system.object_id, system.descr)

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
) -> None:
    """Inventory many devices concurrently (options.snmp_concurrency at a time).

    Devices still unfinished at the deadline (or on stop) get a not-ok status; nothing raises.
    """
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    sem = asyncio.Semaphore(options.snmp_concurrency)
    done = 0

    async def one(host: str) -> None:
        nonlocal done
        async with sem:
            started = time.monotonic()
            engine = SnmpEngine()  # one per device: USM engine-ID/time state never crosses devices
            try:
                remaining = max(0.001, deadline - time.monotonic())
                result = await asyncio.wait_for(inventory_device(engine, host, options, port=port), remaining)
            except TimeoutError:
                result = DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                                       reason="time budget exhausted before the device finished",
                                                       duration_ms=ms_since(started)))
            except Exception as exc:  # noqa: BLE001 - pysnmp internals must not end the sweep
                result = DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                                       reason=f"SNMP failed: {type(exc).__name__}: {exc}",
                                                       duration_ms=ms_since(started)))
            finally:
                with contextlib.suppress(Exception):
                    engine.close_dispatcher()
            on_result(result)
            done += 1
            if progress is not None and (done % 16 == 0 or done == len(hosts)):
                progress(f"snmp: {done}/{len(hosts)} devices done")

    tasks = [asyncio.ensure_future(one(h)) for h in hosts]

    async def watch() -> None:
        while stop is not None and not stop.is_set():
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()

    watcher = asyncio.ensure_future(watch())
    results = await asyncio.gather(*tasks, return_exceptions=True)
    watcher.cancel()
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

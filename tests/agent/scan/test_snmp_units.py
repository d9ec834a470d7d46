"""Pure tests of the SNMP fast path: the BER codec against pysnmp's own pyasn1 codec, the
adaptive in-flight limit, lockstep table walks with slow-start repetitions, and the device-type
rules added for real recorded devices (no packets sent)."""

from __future__ import annotations

import asyncio
import bisect
import bz2
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.scan import snmp
from agent.scan import snmpber as ber
from agent.scan.classify import classify
from agent.scan.model import Method, Observation, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.snmp import (
    COLUMNS,
    DISCOVERY_COLUMNS,
    DISCOVERY_SCALARS,
    ENT_PHYSICAL,
    FIRST_ROWS,
    PRESENCE,
    SCALARS,
    SYSTEM,
    TABLE_PREFIX,
    AdaptiveLimit,
    Credential,
    Session,
    build_observations,
    tables_to_walk,
    walk_entities,
)

Oid = tuple[int, ...]
DATA = Path(__file__).resolve().parents[2] / "data" / "scan" / "snmpsim"


# --- codec ------------------------------------------------------------------------------------------

def _pysnmp_response(request_id: int, varbinds: list[tuple[Oid, Any]], *, status: int = 0, index: int = 0) -> bytes:
    from pyasn1.codec.ber import encoder  # type: ignore[import-untyped,unused-ignore]
    from pysnmp.proto import api

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = p.ResponsePDU()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_request_id(pdu, request_id)
    p.apiPDU.set_error_status(pdu, status)
    p.apiPDU.set_error_index(pdu, index)
    p.apiPDU.set_varbinds(pdu, varbinds)
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, "public")
    p.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def test_decode_matches_pysnmp_types() -> None:
    from pysnmp.proto import api, rfc1905

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    raw = _pysnmp_response(2**31 - 1, [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), p.OctetString(b"Cisco IOS \x00")),
        ((1, 3, 6, 1, 2, 1, 1, 2, 0), p.ObjectIdentifier((1, 3, 6, 1, 4, 1, 9, 1, 1208))),
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), p.TimeTicks(4294967295)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1), p.Gauge32(10**9)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 9, 1), p.Integer(-129)),
        ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), p.Counter64(2**64 - 1)),
        ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 192, 0, 2, 1), p.IpAddress("192.0.2.1")),
        ((2, 999, 1), rfc1905.noSuchObject),
        ((1, 3, 6, 1, 2, 1, 25, 6, 3, 1, 2, 200000), rfc1905.noSuchInstance),
        ((1, 3, 6, 1, 6, 3, 1), rfc1905.endOfMibView),
    ])
    resp = ber.decode_response(raw)
    assert resp.request_id == 2**31 - 1
    assert (resp.error_status, resp.error_index) == (0, 0)
    values = dict(resp.varbinds)
    assert values[(1, 3, 6, 1, 2, 1, 1, 1, 0)] == b"Cisco IOS \x00"
    assert values[(1, 3, 6, 1, 2, 1, 1, 2, 0)] == (1, 3, 6, 1, 4, 1, 9, 1, 1208)
    assert values[(1, 3, 6, 1, 2, 1, 1, 3, 0)] == 4294967295  # unsigned application type
    assert values[(1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1)] == 10**9
    assert values[(1, 3, 6, 1, 2, 1, 2, 2, 1, 9, 1)] == -129  # INTEGER is signed
    assert values[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)] == 2**64 - 1
    assert values[(1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 192, 0, 2, 1)] == b"\xc0\x00\x02\x01"
    assert values[(2, 999, 1)] is ber.NO_SUCH_OBJECT  # first arc 2: 40*2+999 as one subidentifier
    assert values[(1, 3, 6, 1, 2, 1, 25, 6, 3, 1, 2, 200000)] is ber.NO_SUCH_INSTANCE
    assert values[(1, 3, 6, 1, 6, 3, 1)] is ber.END_OF_MIB_VIEW
    assert ber.peek_request_id(raw) == 2**31 - 1


def test_error_status_and_index_decoded() -> None:
    raw = _pysnmp_response(7, [((1, 3, 6, 1, 2, 1, 1, 5, 0), None)], status=2, index=1)
    resp = ber.decode_response(raw)
    assert (resp.error_status, resp.error_index) == (2, 1)


def test_encoded_request_parses_with_pysnmp() -> None:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    oids = [(1, 3, 6, 1, 2, 1, 2, 2, 1, 2), (1, 3, 6, 1, 4, 1, 2636, 3, 1, 13, 1, 200000, 128)]
    raw = ber.encode_request(1, b"s3cret", ber.GETBULK, 123456, oids, max_repetitions=24)
    msg, rest = decoder.decode(raw, asn1Spec=p.Message())
    assert rest == b""
    pdu = p.apiMessage.get_pdu(msg)
    assert bytes(p.apiMessage.get_community(msg)) == b"s3cret"
    assert int(p.apiBulkPDU.get_request_id(pdu)) == 123456
    assert int(p.apiBulkPDU.get_max_repetitions(pdu)) == 24
    assert [tuple(n) for n, _ in p.apiBulkPDU.get_varbinds(pdu)] == oids


def test_v3_discovery_probe_is_a_v3_message() -> None:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
    from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

    raw = ber.encode_v3_discovery(41, 42)
    msg, rest = decoder.decode(raw, asn1Spec=SNMPv3Message())
    assert rest == b""
    assert int(msg["msgVersion"]) == 3
    assert int(msg["msgGlobalData"]["msgID"]) == 41
    assert bytes(msg["msgGlobalData"]["msgFlags"]) == b"\x04"  # reportable, noAuthNoPriv
    usm, _ = decoder.decode(bytes(msg["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
    assert bytes(usm["msgAuthoritativeEngineId"]) == b""  # asks the agent for its engine ID
    assert ber.peek_request_id(raw) == 42


@pytest.mark.parametrize("junk", [b"", b"\x30", b"\x30\x80\x00\x00", b"\x30\x05\x02\x01\x01\x04\x09",
                                  b"\x04\x03abc", b"\x30\x84\xff\xff\xff\xff"])
def test_malformed_datagrams_raise_ber_error(junk: bytes) -> None:
    with pytest.raises(ber.BerError):
        ber.decode_response(junk)
    assert ber.peek_request_id(junk) is None


def test_a_request_is_not_a_response() -> None:
    raw = ber.encode_request(1, b"public", ber.GET, 1, [(1, 3, 6, 1, 2, 1, 1, 1, 0)])
    with pytest.raises(ber.BerError, match="not a Response"):
        ber.decode_response(raw)


# --- adaptive limit ------------------------------------------------------------------------------------

def test_adaptive_limit_halves_on_overload_once_per_cooldown_and_grows_back() -> None:
    now = [0.0]
    lim = AdaptiveLimit(16, floor=2, ceiling=32, cooldown_s=1.0, clock=lambda: now[0])
    lim.overloaded()
    lim.overloaded()  # same burst: one cut
    assert lim.limit == 8
    now[0] = 2.0
    lim.overloaded()
    assert lim.limit == 4
    for _ in range(40):
        lim.answered(0.01, 1.0)
    assert lim.limit > 8
    before = lim.limit
    lim.answered(0.9, 1.0)  # queueing: shrink before anything is lost
    assert lim.limit < before
    for _ in range(100):
        now[0] += 5
        lim.overloaded()
    assert lim.limit == 2


def test_adaptive_limit_bounds_requests_in_flight() -> None:
    lim = AdaptiveLimit(3, floor=1, ceiling=3)
    peak = 0

    async def worker() -> None:
        nonlocal peak
        await lim.acquire()
        peak = max(peak, lim.inflight)
        await asyncio.sleep(0)
        lim.release()

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(20)))

    asyncio.run(main())
    assert peak == 3
    assert lim.inflight == 0


# --- lockstep table walks --------------------------------------------------------------------------------

COL_A = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
COL_B = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)
COL_C = (1, 3, 6, 1, 2, 1, 2, 2, 1, 5)


class _TableAgent(Session):
    """An in-memory agent answering GET/GETBULK like RFC 3416 §4.2.3 over a sorted MIB (a recording),
    noting every OID asked."""

    def __init__(self, mib: dict[Oid, Any], *, max_rows: int = 10_000) -> None:
        super().__init__(Credential("v2c community #1", "2c", community="x"), max_rows=max_rows)
        self.mib, self.names = mib, sorted(mib)
        self.gets: list[Oid] = []
        self.bulks: list[tuple[tuple[Oid, ...], int]] = []

    @property
    def requests(self) -> list[tuple[int, int]]:
        """(varbinds asked, repetitions) per GETBULK."""
        return [(len(oids), reps) for oids, reps in self.bulks]

    def _after(self, oid: Oid) -> tuple[Oid, Any]:
        i = bisect.bisect_right(self.names, oid)
        return (self.names[i], self.mib[self.names[i]]) if i < len(self.names) else (oid, ber.END_OF_MIB_VIEW)

    async def _get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        self.gets += oids
        return [(o, self.mib.get(o, ber.NO_SUCH_OBJECT)) for o in oids]

    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        self.bulks.append((tuple(oids), reps))
        out: list[tuple[Oid, Any]] = []
        cursors = list(oids)
        for _ in range(reps):
            row = [self._after(c) for c in cursors]
            out += row
            cursors = [name for name, _ in row]
        return out


def test_walk_table_reads_whole_rows_per_request_with_sparse_columns() -> None:
    mib: dict[Oid, Any] = {(*COL_A, i): f"if{i}".encode() for i in range(1, 101)}
    mib.update({(*COL_B, i): 6 for i in range(1, 101, 2)})  # sparse column: half the rows
    mib.update({(*COL_C, i): 10**9 for i in range(1, 101)})
    mib[(1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 192, 0, 2, 1)] = b"\xc0\x00\x02\x01"  # what follows the table
    agent = _TableAgent(mib)
    a, b, c = asyncio.run(agent.walk_table([COL_A, COL_B, COL_C]))
    assert [o[-1] for o, _ in a.rows] == list(range(1, 101))
    assert [o[-1] for o, _ in b.rows] == list(range(1, 101, 2))
    assert len(c.rows) == 100
    assert (a.note, b.note, c.note) == ("", "", "")
    # Every request carries every unfinished column; slow start: FIRST_ROWS rows, then doubling.
    assert agent.requests[0] == (3, FIRST_ROWS)
    assert agent.requests[1] == (3, min(2 * FIRST_ROWS, 48 // 3))
    assert all(n * reps <= 48 for n, reps in agent.requests)
    # Far fewer round trips than one column at a time (3 columns x 100 rows / 25 = 12+).
    assert len(agent.requests) <= 8


def test_walk_table_of_a_short_table_asks_little() -> None:
    mib: dict[Oid, Any] = {(*COL_A, i): b"x" for i in range(1, 4)} | {(*COL_B, i): 1 for i in range(1, 4)}
    agent = _TableAgent(mib)
    a, b = asyncio.run(agent.walk_table([COL_A, COL_B]))
    assert (len(a.rows), len(b.rows)) == (3, 3)
    assert agent.requests == [(2, FIRST_ROWS)]


def test_walk_table_cuts_each_column_at_max_rows() -> None:
    mib: dict[Oid, Any] = {(*COL_A, i): b"x" for i in range(1, 500)} | {(*COL_B, i): 1 for i in range(1, 500)}
    agent = _TableAgent(mib, max_rows=30)
    a, b = asyncio.run(agent.walk_table([COL_A, COL_B]))
    assert (len(a.rows), len(b.rows)) == (30, 30)
    assert "cut at 30 rows" in a.note


# --- which tables, and entPhysicalTable ------------------------------------------------------------------

def test_tables_to_walk_skips_helpers_of_empty_tables_and_repeats() -> None:
    everything = dict.fromkeys(COLUMNS, True)
    # ipNetToPhysicalTable repeats ipNetToMediaTable; both FDB tables are read (a union).
    assert "arp2" not in tables_to_walk(everything)
    assert {"arp", "fdb", "qfdb", "bport", "qvlan", "lldploc", "lldpman"} <= set(tables_to_walk(everything))
    assert "arp2" in tables_to_walk({**everything, "arp": False})
    # Port maps and VLAN/LLDP helpers only for the tables they interpret.
    no_bridge = {**everything, "fdb": False, "qfdb": False, "lldp": False}
    assert not {"bport", "qvlan", "lldploc", "lldpman"} & set(tables_to_walk(no_bridge))
    assert "bport" in tables_to_walk({**everything, "qfdb": False})
    assert "qvlan" not in tables_to_walk({**everything, "qfdb": False})
    assert tables_to_walk({"if": True, "ifx": True, "sw": False}) == ["if", "ifx"]


_WHEN = datetime(2026, 5, 1, tzinfo=UTC)


def _entities(n: int, chassis: dict[int, tuple[bytes, bytes, bytes]]) -> dict[Oid, Any]:
    mib: dict[Oid, Any] = {}
    for i in range(1, n + 1):
        serial, mfg, model = chassis.get(i, (b"", b"", b""))
        mib[(*ENT_PHYSICAL, 2, i)] = f"entity {i}".encode()
        mib[(*ENT_PHYSICAL, 5, i)] = 3 if i in chassis else 10  # chassis(3), port(10)
        mib[(*ENT_PHYSICAL, 7, i)] = f"e{i}".encode()
        mib[(*ENT_PHYSICAL, 11, i)] = serial if i in chassis else f"port-serial-{i}".encode()
        mib[(*ENT_PHYSICAL, 12, i)] = mfg
        mib[(*ENT_PHYSICAL, 13, i)] = model
    return mib


def _chassis_of(results: Any) -> tuple[str, str]:
    (dev,) = build_observations("192.0.2.9", {}, {"ent": results}, seen_at=_WHEN)
    return dev.serial, dev.model


def test_walk_entities_gets_only_the_chassis_strings() -> None:
    agent = _TableAgent(_entities(200, {150: (b"FOC123", b"Cisco", b"WS-C3750")}))
    res = asyncio.run(walk_entities(agent))
    assert _chassis_of(res) == ("FOC123", "WS-C3750")
    # The class column of 200 entities plus one GET: not 200 x 4 varbinds.
    assert agent.varbinds == 200 + 3
    full = _TableAgent(_entities(200, {150: (b"FOC123", b"Cisco", b"WS-C3750")}))
    assert _chassis_of(asyncio.run(full.walk_table(COLUMNS["ent"]))) == ("FOC123", "WS-C3750")


def test_walk_entities_falls_back_when_no_chassis_has_a_serial() -> None:
    # No chassis serial/model: the first entity with a serial wins, as with a full walk.
    agent = _TableAgent(_entities(20, {5: (b"", b"", b"")}))
    res = asyncio.run(walk_entities(agent))
    full = _TableAgent(_entities(20, {5: (b"", b"", b"")}))
    assert _chassis_of(res) == _chassis_of(asyncio.run(full.walk_table(COLUMNS["ent"]))) == ("port-serial-1", "")
    nothing = _TableAgent(_entities(20, {}))
    assert _chassis_of(asyncio.run(walk_entities(nothing))) == ("port-serial-1", "")


# --- device types of real recorded devices (snmpsim-data system groups) ----------------------------------

@pytest.mark.parametrize(("oid", "descr", "kw", "expected"), [
    ("1.3.6.1.4.1.311.1.1.3.1.2", "Hardware: x86 Family 6 Model 63 - Software: Windows Version 5.2 (Build 3790 "
     "Multiprocessor Free)", {}, "server"),
    ("1.3.6.1.4.1.5089.1", "Amaranten Firewall 8.90.07.01-11595", {}, "firewall"),
    ("1.3.6.1.4.1.30803", "Netentsec NGFW", {}, "firewall"),
    ("1.3.6.1.4.1.30803", "Vyatta unknown-version", {}, "router"),
    ("1.3.6.1.4.1.8072.3.2.10", "Linux IPCAM 2.6.18_pro500-davinci #1", {}, "camera"),
    ("1.3.6.1.4.1.50001", "Hikvision company products", {}, "camera"),
    ("1.3.6.1.4.1.12124.1", "Isilon OneFS nas-1 v7.2.1.0", {}, "storage"),
    ("1.3.6.1.4.1.11.5.7.1.2", "HP Onboard Administrator", {}, "bmc"),
    ("1.3.6.1.4.1.21239.42.1.31", "Data Center 01 Temp Sensor", {}, "iot"),
    ("1.3.6.1.4.1.40614", "iStars_SWV053", {"mibs": frozenset({"ups-mib"})}, "ups"),
    ("1.3.6.1.4.1.99999.1", "", {"mibs": frozenset({"printer-mib"})}, "printer"),
    ("1.3.6.1.4.1.99999.1", "", {"services": 2}, "switch"),
    ("1.3.6.1.4.1.99999.1", "", {"services": 6}, "router"),
    ("1.3.6.1.4.1.99999.1", "", {"services": 72}, "unknown"),
    # A known type is not overridden by layer bits.
    ("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software, C2960X Software", {"services": 6}, "switch"),
])
def test_classify_real_devices(oid: str, descr: str, kw: dict[str, Any], expected: str) -> None:
    assert classify(oid, descr, **kw).device_type == expected


# --- SNMP depth: what a discovery pass reads, against recorded devices ---------------------------------

_INT_TYPES = {2, 65, 66, 67, 70}  # INTEGER, Counter32, Gauge32, TimeTicks, Counter64
_BYTES_TYPES = {4, 64, 68}       # OCTET STRING, IpAddress, Opaque


def _snmprec(path: Path) -> dict[Oid, Any]:
    """A snmpsim recording (oid|type|value lines), values as the codec decodes them."""
    raw = bz2.decompress(path.read_bytes()) if path.name.endswith(".bz2") else path.read_bytes()
    mib: dict[Oid, Any] = {}
    for line in raw.splitlines():
        parts = line.split(b"|", 2)
        if len(parts) != 3:
            continue
        oid_s, tag_s, val = parts
        hexed = tag_s.endswith(b"x")
        try:
            oid = tuple(int(x) for x in oid_s.decode().split("."))
            tag = int(tag_s.rstrip(b"x"))
            if hexed:
                val = bytes.fromhex(val.decode())
            if tag in _INT_TYPES:
                mib[oid] = int(val)
            elif tag == 64 and not hexed:
                mib[oid] = bytes(int(x) for x in val.decode().split("."))
            elif tag in _BYTES_TYPES:
                mib[oid] = val
            elif tag == 6:
                mib[oid] = tuple(int(x) for x in val.decode().split(".") if x)
        except ValueError:
            continue  # a variation-module line or a malformed value: not part of the walk
    return mib


def _read_device(mib: dict[Oid, Any], host: str, depth: str,
                 monkeypatch: pytest.MonkeyPatch) -> tuple[list[Observation], TargetStatus, _TableAgent]:
    """snmp._inventory as a sweep runs it (credential, census, walks), the recording as the agent."""
    agents: list[_TableAgent] = []

    class Recorded(_TableAgent):
        def __init__(self, _channel: Any, _cred: Any, _pacer: Any, *, timeout: float, retries: int,
                     max_rows: int) -> None:
            super().__init__(mib, max_rows=max_rows)
            self.timeout, self.retries = timeout, retries
            agents.append(self)

    monkeypatch.setattr(snmp, "CommunitySession", Recorded)  # no socket: nothing is sent
    opts = SweepOptions(snmp_depth=depth)
    res = asyncio.run(snmp._inventory(snmp.Pacer(opts), snmp._Channel(), host, opts, 161, time.monotonic()))
    (agent,) = agents
    return res.observations, res.status, agent


def _under(oid: Oid, roots: Sequence[Oid]) -> bool:
    return any(oid[:len(r)] == r for r in roots)


def _identity(dev: Observation) -> tuple[Any, ...]:
    """What a discovery must report exactly as an inventory does."""
    return (dev.method, dev.ip, dev.mac, dev.mac_is_local, dev.hostname, dev.vendor, dev.device_type, dev.os_family,
            dev.snmp, dev.serial, dev.model,
            tuple((i.name, i.mac, i.addresses, i.is_virtual) for i in dev.interfaces))


def _recording(name: str) -> Path:
    if name == "switch":
        return DATA / "switch" / "public.snmprec"
    if name == "winxp":
        import snmpsim  # type: ignore[import-untyped]

        return Path(snmpsim.__file__).parent / "data" / "recorded" / "winxp-full-walk.snmprec"
    snmpsim_data = pytest.importorskip("snmpsim_data")
    return Path(snmpsim_data.__file__).parent / "data" / name


# The hand-written switch (ARP, FDB, LLDP, chassis), snmpsim's Windows XP walk (software, hrSystem) and
# recorded devices whose type comes from sysObjectID, sysDescr, UPS-MIB presence or layer bits.
RECORDINGS = {
    "switch": ("192.0.2.40", "switch"),
    "winxp": ("127.0.0.1", "workstation"),
    "network/switch/cisco-c3750.snmprec.bz2": ("192.0.2.100", "switch"),
    "network/firewall/paloalto-pa-5000.snmprec.bz2": ("192.0.2.101", "firewall"),
    "network/wifi/ubiquiti-m5.snmprec.bz2": ("192.0.2.102", "wireless"),
    "UPS/eastpower-istars-swv053.snmprec.bz2": ("192.0.2.103", "ups"),
    "os/linux/slackware.snmprec.bz2": ("192.0.2.104", "server"),
}


@pytest.mark.parametrize("name", list(RECORDINGS))
def test_discovery_reads_identity_subtrees_only_and_reports_the_same_identity(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    host, device_type = RECORDINGS[name]
    mib = _snmprec(_recording(name))
    full, full_status, full_agent = _read_device(mib, host, "inventory", monkeypatch)
    found, status, agent = _read_device(mib, host, "discovery", monkeypatch)
    assert status.ok and full_status.ok, (status.reason, full_status.reason)
    assert "; discovery; " in status.reason and "; inventory; " in full_status.reason

    # One request asks which tables exist: only the discovery tables, plus the MIBs whose presence types
    # a device (UPS-MIB, Printer-MIB).
    census, reps = agent.bulks[0]
    assert census == (*(TABLE_PREFIX[k] for k in DISCOVERY_COLUMNS), *PRESENCE.values()) and reps == 1
    # Walks stay inside the discovery columns; GETs are the system group (which proves the credential) and
    # the chassis' serial/manufacturer/model.
    allowed = [c for cols in DISCOVERY_COLUMNS.values() for c in cols]
    assert all(_under(o, allowed) for oids, _ in agent.bulks[1:] for o in oids)
    assert all(_under(o, [SYSTEM, *COLUMNS["ent"]]) for o in agent.gets)
    assert set(DISCOVERY_SCALARS) <= set(agent.gets) and set(DISCOVERY_SCALARS) < set(SCALARS)
    assert not any(_under(c, allowed) for k in ("arp", "arp2", "fdb", "qfdb", "bport", "hr", "sw", "lldp")
                   for c in COLUMNS[k])

    # The device is told apart and typed exactly as by an inventory, with fewer varbinds.
    (dev,) = found  # no ARP/FDB/LLDP sightings
    assert _identity(dev) == _identity(full[0])
    assert dev.device_type == device_type and dev.ip == host
    assert (dev.software, dev.attributes) == ((), ())
    # Interfaces as an inventory reads them, state and speed included (a missing state would read "down").
    assert dev.interfaces == full[0].interfaces
    assert agent.varbinds < full_agent.varbinds
    assert len(agent.bulks) <= len(full_agent.bulks)
    if name == "switch":
        assert {o.method for o in full} >= {Method.SNMP_ARP_CACHE, Method.SNMP_FDB, Method.SNMP_LLDP}
        assert (dev.mac, dev.serial, dev.model) == ("00:00:0c:aa:bb:01", "FOC1234X0AB", "WS-C2960X-48FPD-L")
        assert [i.name for i in dev.interfaces] == ["Vl1", "Gi1/0/1", "Gi1/0/2", "Gi1/0/3"]
    if name == "winxp":
        assert full[0].software and full[0].attributes

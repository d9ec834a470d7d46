"""One device read as a sweep reads it (credential, census, walks), a recording as the agent:
what a discovery pass reads against an inventory, on recorded devices (no packets sent)."""

from __future__ import annotations

import asyncio
import bz2
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from agent.scan.model import Method, Observation, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.snmp.credentials import Credential
from agent.scan.snmp.device import Device, read_device
from agent.scan.snmp.maker_probe import ENTERPRISES, MAX_HOPS, first_objects
from agent.scan.snmp.mib import extend
from agent.scan.snmp.observations import brand_siblings, identity_requests
from agent.scan.snmp.oids import (
    COLUMNS,
    DISCOVERY_COLUMNS,
    DISCOVERY_SCALARS,
    FIRST_ROWS,
    PRESENCE,
    SCALARS,
    SYSTEM,
    TABLE_PREFIX,
)
from agent.scan.snmp.session import Session
from tests.agent.scan.snmp.agents import TableAgent

Oid = tuple[int, ...]
DATA = Path(__file__).resolve().parents[3] / "data" / "scan" / "snmpsim"


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


def _read_device(mib: dict[Oid, Any], host: str, depth: str) -> tuple[list[Observation], TargetStatus, TableAgent]:
    """read_device as a sweep runs it (credential, census, walks), the recording as the agent."""
    agents: list[TableAgent] = []

    async def recorded(cred: Credential, *, timeout: float, retries: int, max_rows: int) -> Session:
        agent = TableAgent(mib, max_rows=max_rows)  # no socket: nothing is sent
        agents.append(agent)
        return agent

    opts = SweepOptions(snmp_depth=depth)
    res = asyncio.run(read_device(Device(host, recorded), opts))
    (agent,) = agents
    return res.observations, res.status, agent


def _under(oid: Oid, roots: Sequence[Oid]) -> bool:
    return any(oid[:len(r)] == r for r in roots)


def _identity(dev: Observation) -> tuple[Any, ...]:
    """What a discovery must report exactly as an inventory does."""
    return (dev.method, dev.ip, dev.mac, dev.mac_is_local, dev.hostname, dev.vendor, dev.device_type, dev.os_family,
            dev.snmp, dev.serial, dev.model, dev.firmware,
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
    # Typed by the tape drive its HOST-RESOURCES device table lists, read at both depths.
    "os/linux/ibm-power-chrp.snmprec.bz2": ("192.0.2.105", "server"),
}


@pytest.mark.parametrize("name", list(RECORDINGS))
def test_discovery_reads_identity_subtrees_only_and_reports_the_same_identity(name: str) -> None:
    host, device_type = RECORDINGS[name]
    mib = _snmprec(_recording(name))
    full, full_status, full_agent = _read_device(mib, host, "inventory")
    found, status, agent = _read_device(mib, host, "discovery")
    assert status.ok and full_status.ok, (status.reason, full_status.reason)
    assert "; discovery; " in status.reason and "; inventory; " in full_status.reason

    # One request asks which tables exist: only the discovery tables, plus the MIBs whose presence types
    # a device (UPS-MIB, Printer-MIB) and the standard identity columns read by their first row.
    census, reps = agent.bulks[0]
    assert census == (*(TABLE_PREFIX[k] for k in DISCOVERY_COLUMNS), *PRESENCE.values(),
                      *(column for _, column, _ in FIRST_ROWS)) and reps == 1
    # Walks stay inside the discovery columns; GETs are the system group and LLDP capabilities (which
    # prove the credential), the chassis' strings and the GETs of the vendor's, standard and public MIBs'
    # serial/model/version objects.
    # Besides them, a few one-OID GETNEXTs that find whose MIBs the device answers (maker_probe.py), and
    # the objects of the makers they name among the GETs (where sysObjectID names no maker, that maker's;
    # else other makers' MIBs the device answers).
    # The public MIBs' columns whose first row is the device are one GETNEXT among them.
    allowed = [c for cols in DISCOVERY_COLUMNS.values() for c in cols]
    object_id = full[0].snmp.object_id if full[0].snmp else ""
    probes = [oids for oids, _ in agent.bulks[1:] if len(oids) == 1 and oids[0][:6] == ENTERPRISES]
    answering = asyncio.run(first_objects(TableAgent(mib)))
    assert probes and len(probes) <= MAX_HOPS
    hand, chosen, _ = identity_requests(object_id, frozenset(PRESENCE), answering)
    first_rows = [o.oid for o in chosen if o.first_row]
    assert all(_under(o, allowed) or o in first_rows for oids, _ in agent.bulks[1:] if oids not in probes for o in oids)
    descr = full[0].snmp.descr if full[0].snmp else ""
    identity_objects = (*hand, *(o.oid for o in chosen if not o.first_row), *extend.request(object_id, descr))
    # (asked once more without their .0 where none of them answered: some agents leave it out)
    assert all(_under(o, [SYSTEM, *COLUMNS["ent"]]) or o in (*identity_objects, *DISCOVERY_SCALARS)
               or (*o, 0) in identity_objects for o in agent.gets)
    assert set(DISCOVERY_SCALARS) <= set(agent.gets) and set(DISCOVERY_SCALARS) < set(SCALARS)
    assert not any(_under(c, allowed) for k in ("arp", "arp2", "fdb", "qfdb", "bport", "hr", "sw", "lldp")
                   for c in COLUMNS[k])

    # The device is told apart and typed exactly as by an inventory, with fewer varbinds.
    (dev,) = found  # no ARP/FDB/LLDP sightings
    assert _identity(dev) == _identity(full[0])
    assert dev.device_type == device_type and dev.ip == host
    # No software and no hrSystem values; the same vendor and type evidence as the inventory's.
    evidence = ("vendorEvidence", "typeEvidence", "productEvidence", "identityEvidence", "osRelease")
    assert dev.software == () and {k for k, _ in dev.attributes} <= set(evidence)
    assert dict(dev.attributes) == {k: v for k, v in full[0].attributes if k in evidence}
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


def test_a_device_table_is_read_at_its_first_row_whatever_its_index() -> None:
    """MWRM-UNIT-MIB (Ceragon IP-20) numbers its equipment inventory by unit, the first row 127, not 1:
    the scanner reads the registry's column with one GETNEXT and takes the first row (values made up)."""
    inventory_serial = (1, 3, 6, 1, 4, 1, 2281, 10, 1, 2, 10, 1, 1, 6)
    mib: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"IP-20", (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 2281, 1, 20, 2, 2, 10),
        (*SYSTEM, 5, 0): b"radio-1", (*inventory_serial, 127): b"F999999999", (*inventory_serial, 128): b"F888888888",
    }
    (dev,), status, agent = _read_device(mib, "192.0.2.51", "discovery")
    assert status.ok, status.reason
    assert dev.serial == "F999999999"
    assert "serial from MWRM-UNIT-MIB::genEquipInventorySerialNumber" in dict(dev.attributes)["identityEvidence"]
    assert any(inventory_serial in oids and len(oids) > 1 for oids, _ in agent.bulks)  # one GETNEXT of many
    assert not any(o[:len(inventory_serial)] == inventory_serial for o in agent.gets)


def test_an_agent_that_leaves_out_the_scalars_instance_still_names_serial_and_firmware() -> None:
    """EXALINK-FUSION-MIB as a Fusion switch's agent serves it: fusionInfoSerial at 1.3.6.1.4.1.43296.3.1.1,
    no .0, so a GET of the scalar's instance finds nothing (a LibreNMS recording of the device)."""
    fusion = (1, 3, 6, 1, 4, 1, 43296, 3, 1)
    mib: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"Linux fusion 3.12.30 #1 SMP armv7l", (*SYSTEM, 2, 0): (*fusion[:-1],),
        (*SYSTEM, 5, 0): b"fusion1", (*fusion, 1): b"EBFSN-Z-123123", (*fusion, 2): b"1.9.0",
        (*fusion, 4): b"2018-03-23 12:11:15 +1100 (964571d)",
    }
    (dev,), status, agent = _read_device(mib, "192.0.2.50", "discovery")
    assert status.ok, status.reason
    assert (dev.serial, dev.firmware) == ("EBFSN-Z-123123", "1.9.0")
    assert (*fusion, 1) in agent.gets and (*fusion, 1, 0) in agent.gets
    # Where an instance answers, what stands without one is not read.
    both = {**mib, (*fusion, 1, 0): b"FSN-REAL-1", (*fusion, 1): b"FSN-OTHER-2"}
    (dev,), _, _ = _read_device(both, "192.0.2.50", "discovery")
    assert dev.serial == "FSN-REAL-1"


@pytest.mark.parametrize(("kind", "objects", "expected"), [
    # A UPS card that answers upsBattery and upsOutput but not the upsIdent group (values made up).
    ("ups", {(1, 3, 6, 1, 2, 1, 33, 1, 2, 1, 0): 2, (1, 3, 6, 1, 2, 1, 33, 1, 4, 1, 0): 3}, "ups"),
    # A printer whose agent answers prtMarkerTable but no prtGeneralTable.
    ("printer", {(1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1): 12345}, "printer"),
    ("neither", {(1, 3, 6, 1, 2, 1, 34, 1, 0): 1}, "unknown"),
])
def test_any_object_of_ups_mib_or_printer_mib_is_its_presence(kind: str, objects: dict[Oid, Any],
                                                              expected: str) -> None:
    mib: dict[Oid, Any] = {(*SYSTEM, 1, 0): b"SNMP agent", (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 99999, 1),
                           (*SYSTEM, 5, 0): kind.encode(), **objects}
    for depth in ("discovery", "inventory"):
        (dev,), status, _ = _read_device(mib, "192.0.2.52", depth)
        assert status.ok, status.reason
        assert dev.device_type == expected, (depth, dict(dev.attributes).get("typeEvidence"))


def test_a_print_servers_printer_is_named_by_its_ieee_1284_device_id() -> None:
    """A ZebraNet print server as a LibreNMS test recording has it: Extended Systems' enterprise, the card's
    sysDescr, hrPrinterTable rows, and HP-LASERJET-COMMON-MIB gdStatusId holding the printer's device ID."""
    mib: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"ZebraNet Wired PS", (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 683, 6),
        (*SYSTEM, 5, 0): b"label-1", (1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1, 1): 3,
        (1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1, 1, 7, 0):
            b"MANUFACTURER:Zebra Technologies;COMMAND SET:ZPL;MODEL:ZTC TLP 2824 Plus;CLASS:PRINTER;",
    }
    for depth in ("discovery", "inventory"):
        (dev,), status, _ = _read_device(mib, "192.0.2.53", depth)
        assert status.ok, status.reason
        assert (dev.vendor, dev.model, dev.device_type) == ("Zebra Technologies", "ZTC TLP 2824 Plus", "printer")
        assert "IEEE 1284 device ID" in dict(dev.attributes)["vendorEvidence"]


def test_an_object_named_for_nothing_is_read_for_what_its_description_says() -> None:
    """A Teldat router as a LibreNMS test recording has it (values made up): TELDAT-MIB names its release
    telAdminStatusSystemAppVersion, "Version of the application running at the moment in the system.";
    the shipped registry lists it by that DESCRIPTION, and the sweep reads it at both depths."""
    mib: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"Router model 1GEWAN 4GESW", (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 2007, 1, 1, 312),
        (*SYSTEM, 5, 0): b"edge-1", (1, 3, 6, 1, 4, 1, 2007, 1, 2, 1, 6, 0): b"10.09.26",
    }
    for depth in ("discovery", "inventory"):
        (dev,), status, _ = _read_device(mib, "192.0.2.54", depth)
        assert status.ok, status.reason
        assert dev.firmware == "10.09.26", depth
        assert "firmware from TELDAT-MIB::telAdminStatusSystemAppVersion" in dict(dev.attributes)["identityEvidence"]


def test_a_maker_renamed_under_a_new_enterprise_is_asked_the_mib_of_its_old_one() -> None:
    """A Pepwave router (sysObjectID under PePWave's 27662, no MIB of its own) answers Peplink's DEVICE
    MIB under 23695, one maker in the alias table (values made up)."""
    device = (1, 3, 6, 1, 4, 1, 23695, 200, 1, 1, 1, 1)
    mib: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"Pepwave router", (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 27662, 200, 1, 1, 1),
        (*SYSTEM, 5, 0): b"branch-7", (*device, 2, 0): b"1111-2222-3333", (*device, 3, 0): b"8.0.0s010 build 4198",
    }
    for depth in ("discovery", "inventory"):
        (dev,), status, _ = _read_device(mib, "192.0.2.55", depth)
        assert status.ok, status.reason
        assert (dev.serial, dev.firmware, dev.vendor) == ("1111-2222-3333", "8.0.0s010", "Peplink"), depth
        assert "serial from DEVICE::deviceSerialNumber" in dict(dev.attributes)["identityEvidence"]


def test_a_box_built_on_another_makers_software_is_asked_that_makers_mib_too() -> None:
    """An Eltex switch (sysObjectID under Eltex's 35265) keeps its serial where the switching software it
    is built on puts it: ARICENT-ISS-MIB's issHardwareSerialNumber under Aricent's 2076. The probe finds
    2076 answering, beside the walks, and its objects are asked in a round of their own (values made up)."""
    serial = (1, 3, 6, 1, 4, 1, 2076, 81, 1, 120, 0)
    mib: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"MES2424B AC 28-port 1G/10G Managed Switch",
        (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 35265, 1, 176), (*SYSTEM, 5, 0): b"access-3",
        (1, 3, 6, 1, 4, 1, 2076, 81, 1, 1, 0): b"1", serial: b"ES9E003484",
    }
    for depth in ("discovery", "inventory"):
        (dev,), status, agent = _read_device(mib, "192.0.2.56", depth)
        assert status.ok, status.reason
        assert (dev.serial, dev.vendor) == ("ES9E003484", "Eltex Enterprise"), depth
        assert "serial from ARICENT-ISS-MIB::issHardwareSerialNumber" in dict(dev.attributes)["identityEvidence"]
        assert serial in agent.gets
    # A release of the MIB that keeps a retry count there: the device answers a number, no serial.
    (dev,), _, _ = _read_device({**mib, serial: 3}, "192.0.2.56", "discovery")
    assert dev.serial == ""


def test_only_a_maker_without_objects_of_its_own_is_asked_its_other_numbers() -> None:
    assert brand_siblings(27662) == (23695,)   # PePWave -> Peplink (27662's one MIB has a serial only)
    assert brand_siblings(2011) == ()          # Huawei's own objects are asked, not Huawei Symantec's
    assert brand_siblings(8072) == ()          # net-snmp names no maker
    assert brand_siblings(0) == ()
    _, chosen, _ = identity_requests("1.3.6.1.4.1.27662.200.1.1.1", frozenset())
    assert any(o.oid[:7] == (1, 3, 6, 1, 4, 1, 23695) for o in chosen)
    # ... and so is the maker the probe found behind a net-snmp sysObjectID.
    _, chosen, _ = identity_requests("1.3.6.1.4.1.8072.3.2.10", frozenset(), ((1, 3, 6, 1, 4, 1, 27662, 1, 0),))
    assert any(o.oid[:7] == (1, 3, 6, 1, 4, 1, 23695) for o in chosen)


def test_a_device_nothing_types_is_asked_whether_it_implements_its_maker_s_speaking_mibs() -> None:
    """An ATEN rack PDU answers its enterprise node (21317) as sysObjectID and says "Aten": nothing types it
    until one GETNEXT finds ATEN-PE-CFG's outlets answering (values made up)."""
    subtree = (1, 3, 6, 1, 4, 1, 21317, 1, 3, 2, 2)
    mib: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"Aten", (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 21317), (*SYSTEM, 5, 0): b"pdu-3",
        (*subtree, 2, 3, 1, 1, 1): 1,
    }
    for depth in ("discovery", "inventory"):
        (dev,), status, agent = _read_device(mib, "192.0.2.56", depth)
        assert status.ok, status.reason
        assert dev.device_type == "ups", depth
        assert "answers ATEN-PE-CFG, 90 of whose 303 objects name ups functions (+2)" in \
            dict(dev.attributes)["typeEvidence"]
        assert any(subtree in oids for oids, _ in agent.bulks)
    # A device its own words type is not asked.
    mib[(*SYSTEM, 1, 0)] = b"Aten PE8324 PDU"
    (dev,), _, agent = _read_device(mib, "192.0.2.56", "inventory")
    assert dev.device_type == "ups" and "sysDescr 'PDU' (+8)" in dict(dev.attributes)["typeEvidence"]
    assert not any(subtree in oids for oids, _ in agent.bulks)
    # One whose maker's MIB does not answer stays unknown.
    del mib[(*subtree, 2, 3, 1, 1, 1)]
    mib[(*SYSTEM, 1, 0)] = b"Aten"
    (dev,), status, _ = _read_device(mib, "192.0.2.56", "inventory")
    assert status.ok and dev.device_type == "unknown"


def _extend(name: str, value: bytes) -> dict[Oid, Any]:
    """`extend <name> ...` in snmpd.conf: nsExtendOutput1Line.<name> (NET-SNMP-EXTEND-MIB)."""
    return {(1, 3, 6, 1, 4, 1, 8072, 1, 3, 2, 3, 1, 1, len(name), *name.encode()): value}


def test_what_an_administrator_publishes_through_net_snmp_extends_names_the_machine() -> None:
    """A Linux router and a Linux server whose snmpd runs the monitoring guides' `distro`, `hardware`,
    `manufacturer` and `serial` extends (values made up): the router's release is its firmware, the
    server's firmware stays its kernel with the release beside it; both get the published model, the
    server its maker and serial (net-snmp's sysObjectID names no maker, and neither has another source)."""
    router: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"Linux OpenWrt 5.4.137 #0 SMP Sat Jul 31 17:21:01 2021 armv7l",
        (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10), (*SYSTEM, 5, 0): b"gw",
        **_extend("distro", b"OpenWrt 21.02.0-rc4"), **_extend("hardware", b"Linksys WRT1200AC"),
    }
    server: dict[Oid, Any] = {
        (*SYSTEM, 1, 0): b"Linux web01 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64",
        (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10), (*SYSTEM, 5, 0): b"web01",
        (1, 3, 6, 1, 2, 1, 25, 1, 1, 0): 4711,  # HOST-RESOURCES-MIB hrSystemUptime: a computer's agent
        **_extend("distro", b"Debian 12.5"), **_extend("hardware", b"PowerEdge R250"),
        **_extend("manufacturer", b"Dell Inc."), **_extend("serial", b"7XK2N93"),
    }
    for depth in ("discovery", "inventory"):
        (dev, *_), status, _ = _read_device(router, "192.0.2.57", depth)
        assert status.ok, status.reason
        assert (dev.device_type, dev.firmware, dev.model) == ("router", "OpenWrt 21.02.0-rc4", "Linksys WRT1200AC")
        assert "firmware from NET-SNMP-EXTEND-MIB extend 'distro'" in dict(dev.attributes)["identityEvidence"]
        (dev, *_), status, _ = _read_device(server, "192.0.2.58", depth)
        assert status.ok, status.reason
        assert (dev.device_type, dev.firmware, dev.model, dev.vendor, dev.serial) == \
            ("server", "6.1.0-18-amd64", "PowerEdge R250", "Dell", "7XK2N93"), depth
        attributes = dict(dev.attributes)
        assert attributes["osRelease"] == "Debian 12.5"
        assert "its snmpd's manufacturer extend says 'Dell Inc.'" in attributes["vendorEvidence"]


def test_an_agent_that_is_not_net_snmp_is_not_asked_for_extends() -> None:
    mib: dict[Oid, Any] = {(*SYSTEM, 1, 0): b"Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M)",
                           (*SYSTEM, 2, 0): (1, 3, 6, 1, 4, 1, 9, 1, 516), (*SYSTEM, 5, 0): b"sw1"}
    _, status, agent = _read_device(mib, "192.0.2.59", "inventory")
    assert status.ok
    assert not any(oid[:7] in ((1, 3, 6, 1, 4, 1, 8072), (1, 3, 6, 1, 4, 1, 2021)) for oid in agent.gets)

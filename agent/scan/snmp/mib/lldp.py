"""LLDP-MIB lldpRemTable / lldpRemManAddrTable (IEEE 802.1AB) -> SNMP_LLDP neighbour sightings; and the
capabilities the device itself advertises (lldpLocSysCapEnabled), type evidence."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from agent.scan.classify import classify, normalise_mac
from agent.scan.model import Method, Observation, SeenVia
from agent.scan.snmp.mib import Tables, sighting
from agent.scan.snmp.oids import LLDP_LOC_PORT, LLDP_LOC_SYS_CAP_ENABLED, LLDP_REM, LLDP_REM_MAN_ADDR, Oid
from agent.scan.snmp.values import as_int, octets, rows_by_index, text

# LLDP-MIB LldpSystemCapabilitiesMap BITS, in bit order (IEEE 802.1AB-2005 clause 9.5.8).
CAPABILITIES = ("other", "repeater", "bridge", "wlanAccessPoint", "router", "telephone", "docsisCableDevice",
                "stationOnly")


def capabilities(scalars: Mapping[Oid, Any]) -> frozenset[str]:
    """The system capabilities enabled on the device (lldpLocSysCapEnabled.0), empty when not answered.

    BITS (RFC 2578 §7.1.4): bit 0 is the most significant bit of the first octet.
    """
    raw = octets(scalars[LLDP_LOC_SYS_CAP_ENABLED]) if LLDP_LOC_SYS_CAP_ENABLED in scalars else b""
    return frozenset(name for n, name in enumerate(CAPABILITIES)
                     if n // 8 < len(raw) and raw[n // 8] & (0x80 >> (n % 8)))


def sightings(host: str, device_name: str, port_names: Mapping[int, str], tables: Tables,
              seen_at: datetime) -> list[Observation]:
    """Each LLDP neighbour as a sighting, with its management address and port where known.

    LLDP names local ports itself (lldpLocPortTable), so `port_names` is not needed.
    """
    local_ports = rows_by_index(tables.get("lldploc", ()), LLDP_LOC_PORT)
    loc = {idx[0]: cols for idx, cols in local_ports.items() if len(idx) == 1}
    man: dict[tuple[int, int, int], str] = {}
    # lldpRemManAddrTable index: TimeMark.LocalPortNum.RemIndex.AddrSubtype.len.addr (IANA
    # address family 1 = IPv4).
    for idx, _cols in rows_by_index(tables.get("lldpman", ()), LLDP_REM_MAN_ADDR).items():
        if len(idx) == 9 and idx[3] == 1 and idx[4] == 4:
            man.setdefault((idx[0], idx[1], idx[2]), ".".join(map(str, idx[5:])))
    out: list[Observation] = []
    for idx, cols in sorted(rows_by_index(tables.get("lldp", ()), LLDP_REM).items()):
        if len(idx) != 3:
            continue
        # lldpRemChassisIdSubtype macAddress(4) / lldpRemPortIdSubtype macAddress(3) (LLDP-MIB TCs).
        chassis = octets(cols[5]) if 5 in cols else b""
        mac = normalise_mac(chassis) if as_int(cols.get(4, 0)) == 4 else ""
        if not mac and as_int(cols.get(6, 0)) == 3 and 7 in cols:
            mac = normalise_mac(octets(cols[7]))
        lcols = loc.get(idx[1], {})
        port = text(lcols.get(4, b"")) or text(lcols.get(3, b"")) or f"lldp port {idx[1]}"
        attrs = {"lldpRemPortId": text(cols.get(7, b"")) if as_int(cols.get(6, 0)) != 3 else mac,
                 "lldpRemPortDesc": text(cols.get(8, b"")), "lldpRemSysDesc": text(cols.get(10, b""))}
        if not mac:
            attrs["lldpRemChassisId"] = chassis.hex(":") if any(b < 32 for b in chassis) else chassis.decode(
                "utf-8", errors="replace")
        descr = text(cols.get(10, b""))
        cls = classify("", descr)
        via = SeenVia(device_ip=host, device_name=device_name, port_name=port)
        out.append(sighting(Method.SNMP_LLDP, seen_at, man.get(idx, ""), mac, via,
                             hostname=text(cols.get(9, b"")), device_type=cls.device_type if descr else "",
                             os_family=cls.os_family, attributes=tuple(sorted((k, v) for k, v in attrs.items() if v))))
    return out

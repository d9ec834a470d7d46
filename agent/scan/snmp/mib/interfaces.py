"""IF-MIB ifTable/ifXTable (RFC 2863) and IP-MIB ipAddrTable (RFC 4293) -> the device's interfaces
and the MAC that stands for the device."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from agent.facts.model import NetworkInterface
from agent.scan.classify import mac_is_local, normalise_mac
from agent.scan.snmp.mib import Tables
from agent.scan.snmp.oids import IF_ENTRY, IF_X_ENTRY, IP_AD_ENTRY
from agent.scan.snmp.values import as_int, octets, rows_by_index, text

# IANAifType values that are not physical ports (IANAifType-MIB).
_VIRTUAL_IFTYPES = frozenset({24, 53, 131, 135, 136, 209})


@dataclass(frozen=True, slots=True)
class Interfaces:
    """A device's interfaces, their names by ifIndex (for sightings' port names) and its own MAC."""

    interfaces: tuple[NetworkInterface, ...]
    names: Mapping[int, str]
    device_mac: str


def read_interfaces(host: str, tables: Tables) -> Interfaces:
    """Interfaces keyed by ifIndex from ifTable + ifXTable + ipAddrTable.

    The device's MAC is the one of the interface carrying `host` (the address we asked), else the
    first physical, globally administered one.
    """
    iftab = rows_by_index(tables.get("if", ()), IF_ENTRY)
    ifx = rows_by_index(tables.get("ifx", ()), IF_X_ENTRY)
    addrs: dict[int, list[str]] = {}
    host_ifindex = 0
    for index, cols in rows_by_index(tables.get("ipad", ()), IP_AD_ENTRY).items():
        if len(index) != 4 or 2 not in cols:
            continue
        ip = ".".join(str(x) for x in index)
        mask = octets(cols[3]) if 3 in cols else b""
        prefix = sum(bin(b).count("1") for b in mask) if len(mask) == 4 else 32
        addrs.setdefault(as_int(cols[2]), []).append(f"{ip}/{prefix}")
        if ip == host:
            host_ifindex = as_int(cols[2])
    names: dict[int, str] = {}
    macs: dict[int, str] = {}
    interfaces: list[NetworkInterface] = []
    for index in sorted(iftab, key=lambda i: i[0] if i else 0):
        if len(index) != 1:
            continue
        idx = index[0]
        cols, xcols = iftab[index], ifx.get(index, {})
        name = text(xcols[1]) if 1 in xcols and text(xcols[1]) else text(cols.get(2, b""))
        names[idx] = name
        macs[idx] = normalise_mac(octets(cols[6])) if 6 in cols else ""
        high = as_int(xcols.get(15, 0))
        interfaces.append(NetworkInterface(
            name=name, mac=macs[idx],
            addresses=tuple(addrs.get(idx, ())), is_virtual=as_int(cols.get(3, 0)) in _VIRTUAL_IFTYPES,
            speed_mbps=high if high else as_int(cols.get(5, 0)) // 1_000_000,
            is_up=as_int(cols.get(8, 0)) == 1,  # ifOperStatus up(1)
        ))
    device_mac = macs.get(host_ifindex, "") or next(
        (i.mac for i in interfaces if i.mac and not i.is_virtual and not mac_is_local(i.mac)), "")
    return Interfaces(tuple(interfaces), names, device_mac)


def if_types(tables: Tables) -> tuple[int, ...]:
    """ifType (IANAifType-MIB) of every interface, in ifIndex order: device-type evidence (radios, ports)."""
    iftab = rows_by_index(tables.get("if", ()), IF_ENTRY)
    return tuple(as_int(iftab[i].get(3, 0)) for i in sorted(iftab))

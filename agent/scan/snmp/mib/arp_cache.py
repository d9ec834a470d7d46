"""IP-MIB ARP caches (RFC 4293): ipNetToMediaTable and ipNetToPhysicalTable -> SNMP_ARP_CACHE sightings.

Hosts a router has resolved are sightings too, even where the scanner cannot reach them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from agent.scan.classify import normalise_mac
from agent.scan.model import Method, Observation, SeenVia
from agent.scan.snmp.mib import Tables, sighting
from agent.scan.snmp.oids import IP_NET_TO_MEDIA, IP_NET_TO_PHYS
from agent.scan.snmp.values import as_int, octets, rows_by_index


def sightings(host: str, device_name: str, port_names: Mapping[int, str], tables: Tables,
              seen_at: datetime) -> list[Observation]:
    """Each complete ARP entry of the device as a sighting of that address and MAC."""
    out: list[Observation] = []
    seen: set[tuple[str, str, int]] = set()
    # ipNetToPhysicalTable: index ifIndex.addrType.len.addr (InetAddress index, RFC 4001 §4.1);
    # only ipv4(1) is read. ipNetToPhysicalType invalid(2) marks deleted entries (RFC 4293).
    for index, cols in rows_by_index(tables.get("arp2", ()), IP_NET_TO_PHYS).items():
        if len(index) == 7 and index[1] == 1 and index[2] == 4 and as_int(cols.get(6, 0)) != 2:
            ip = ".".join(map(str, index[3:]))
            _add_arp(out, seen, host, device_name, port_names, index[0], ip, cols.get(4), seen_at)
    # ipNetToMediaTable: index ifIndex.a.b.c.d; ipNetToMediaType invalid(2) likewise.
    for index, cols in rows_by_index(tables.get("arp", ()), IP_NET_TO_MEDIA).items():
        if len(index) == 5 and as_int(cols.get(4, 0)) != 2:
            ip = ".".join(map(str, index[1:]))
            _add_arp(out, seen, host, device_name, port_names, index[0], ip, cols.get(2), seen_at)
    return out


def _add_arp(out: list[Observation], seen: set[tuple[str, str, int]], host: str, name: str,
             names: Mapping[int, str], ifindex: int, ip: str, phys: Any, seen_at: datetime) -> None:
    mac = normalise_mac(octets(phys)) if phys is not None else ""
    # Incomplete entries carry an empty or all-zero address: a sighting of nothing.
    if not mac or mac in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff") or (ip, mac, ifindex) in seen:
        return
    seen.add((ip, mac, ifindex))
    via = SeenVia(device_ip=host, device_name=name, if_index=ifindex, port_name=names.get(ifindex, ""))
    out.append(sighting(Method.SNMP_ARP_CACHE, seen_at, ip, mac, via))

"""One module per MIB area (Netdisco-style): a new area is a new file, not a longer one.

Each module reads the rows of its own tables (named as in oids.COLUMNS) into parts of the
device's observation, or into sightings of what the device has seen (ARP cache, forwarding
table, LLDP neighbours). Pure functions over the plain values of values.py: no I/O, no pysnmp.
observations.py composes them; modules here import oids, values (WalkResult among them) and the
scan model only, never each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from agent.scan.classify import mac_is_local, mac_vendor
from agent.scan.model import Method, Observation, SeenVia
from agent.scan.snmp.values import WalkResult

# What a device's walks yielded: table name (oids.COLUMNS) -> one WalkResult per column.
Tables = Mapping[str, Sequence[WalkResult]]


class Sightings(Protocol):
    """A table area that reports what the device has seen: ARP cache, forwarding table, LLDP."""

    def __call__(self, host: str, device_name: str, port_names: Mapping[int, str], tables: Tables,
                 seen_at: datetime) -> list[Observation]:
        """Sightings from `tables` of the device at `host`; `port_names` maps ifIndex to name."""


def sighting(method: Method, seen_at: datetime, ip: str, mac: str, via: SeenVia, **kw: Any) -> Observation:
    """An observation of a host seen in a device's table; the vendor is the MAC's (OUI)."""
    return Observation(method=method, seen_at=seen_at, ip=ip, mac=mac, vendor=mac_vendor(mac),
                       mac_is_local=mac_is_local(mac), seen_via=via, **kw)

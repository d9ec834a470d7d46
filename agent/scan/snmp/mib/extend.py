"""The OS release, product, maker and serial an administrator publishes through net-snmp's `extend`.

A computer's SNMP agent says little of the machine: sysDescr is uname's text, and HOST-RESOURCES-MIB
has no product, maker or serial. Monitoring tools' setup guides therefore have net-snmp run four small
commands and publish their output in NET-SNMP-EXTEND-MIB under the command's name (LibreNMS's
snmpd.conf.example; Observium's and older guides place the first at 1.3.6.1.4.1.2021.7890.1, the
others at .2, .3 and .4):

    extend distro /usr/bin/distro                                      -> "Debian 12.11", "OpenWrt 21.02.0-rc4"
    extend hardware '/bin/cat /sys/devices/virtual/dmi/id/product_name' -> "PowerEdge R250"
    extend manufacturer '/bin/cat /sys/devices/virtual/dmi/id/sys_vendor' -> "Dell Inc."
    extend serial '/bin/cat /sys/devices/virtual/dmi/id/product_serial'  -> the machine's serial number

(on ARM boards `hardware` and `serial` read the device tree's model and serial-number instead). These
names are conventions, not a standard: any other extend is the administrator's own and is not read.
Asked only of agents that may be net-snmp (its enterprise's sysObjectID, or a Unix sysDescr), in one
GET of NAMES x 5 objects beside the identity GET (device.py). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.facts.identifiers import is_placeholder
from agent.scan.classify import os_family
from agent.scan.classify.enterprises import enterprise_number
from agent.scan.snmp.oids import Oid
from agent.scan.snmp.values import text

# The convention's command names, the field each publishes, and the arc the relocated form puts it under
# (extend .1.3.6.1.4.1.2021.7890.<arc> <name> ...).
NAMES: tuple[tuple[str, str, int], ...] = (
    ("distro", "release", 1),
    ("hardware", "model", 2),
    ("manufacturer", "maker", 3),
    ("serial", "serial", 4),
)

_NS_EXTEND = (1, 3, 6, 1, 4, 1, 8072, 1, 3, 2)     # NET-SNMP-EXTEND-MIB nsExtendObjects
_RELOCATED = (1, 3, 6, 1, 4, 1, 2021, 7890)      # where the guides relocate them (UCD-SNMP-MIB's subtree)
_NET_SNMP_ENTERPRISES = frozenset({8072, 2021})  # NET-SNMP-MIB, and UCD-SNMP-MIB before it
_UNIX = frozenset({"linux", "bsd", "solaris", "macos", "aix"})


def _index(name: str) -> Oid:
    """A table index that is a string: its length, then its octets (SNMPv2-SMI, IMPLIED absent)."""
    return (len(name), *name.encode())


def _objects(name: str, arc: int) -> tuple[Oid, ...]:
    """Where an agent answers the extend `name`, most direct first: nsExtendOutput1Line and
    nsExtendOutputFull (3.1.1, 3.1.2), the same below the relocated OID with its first nsExtendOutLine
    (4.1.2.<name>.1), and UCD-SNMP-MIB's older `exec` relocated there (extOutput, 101.1)."""
    index = _index(name)
    here = (*_RELOCATED, arc)
    return ((*_NS_EXTEND, 3, 1, 1, *index), (*_NS_EXTEND, 3, 1, 2, *index),
            (*here, 3, 1, 1, *index), (*here, 4, 1, 2, *index, 1), (*here, 101, 1))


OBJECTS: tuple[tuple[str, Oid], ...] = tuple((field, oid) for name, field, arc in NAMES for oid in _objects(name, arc))


@dataclass(frozen=True, slots=True)
class Published:
    """What the convention's extends said; "" where the agent publishes nothing under that name."""

    release: str = ""
    model: str = ""
    maker: str = ""
    serial: str = ""


NOTHING_PUBLISHED = Published()


def asked(object_id: str, descr: str) -> bool:
    """Whether the agent may be net-snmp: its own sysObjectID, or a Unix's sysDescr (appliances built on
    net-snmp often answer with the product's sysObjectID and uname's text)."""
    return enterprise_number(object_id) in _NET_SNMP_ENTERPRISES or os_family(object_id, descr) in _UNIX


def request(object_id: str, descr: str) -> tuple[Oid, ...]:
    """The OIDs of the one GET, () for an agent that cannot be net-snmp."""
    return tuple(oid for _, oid in OBJECTS) if asked(object_id, descr) else ()


def published(scalars: Mapping[Oid, Any]) -> Published:
    """The first line of the first answer per field (a command's output may run to several lines), but
    for DMI's fillers ("To be filled by O.E.M.", "System manufacturer": agent/facts/identifiers.py)."""
    found: dict[str, str] = {}
    for field, oid in OBJECTS:
        if field in found or oid not in scalars:
            continue
        line = " ".join(text(scalars[oid]).strip().split("\n")[0].split())
        if not is_placeholder(line, dates=field == "serial"):
            found[field] = line
    return Published(**found)

"""Whose MIBs a device implements, for devices whose sysObjectID names only their SNMP agent.

Why: appliances built on net-snmp (NAS boxes, firewalls, UPS cards, LTE routers, time servers,
BMCs) answer sysObjectID with net-snmp's own number, and some agents send none at all, so the
enterprise number that names most devices' maker names nobody here. Their maker still shows: the
vendor's own MIB answers under its enterprise (SYNOLOGY-SYSTEM-MIB under synology(6574),
CHECKPOINT-MIB under checkpoint(2620), TELTONIKA-MIB under 48690). A network engineer looks
there; so does this probe, with a few GETNEXTs that skip from one enterprise to the next under
1.3.6.1.4.1 (GETNEXT of 1.3.6.1.4.1.<n+1> after an object of enterprise n), at most MAX_HOPS.

The first enterprise that is not an agent's software (classify.vendor.names_agent_software) is the
maker's: it names the vendor when the device's own words do not (classify/vendor.py), its serial,
model and firmware objects are asked like a sysObjectID enterprise's (observations.py), and the
first object the device answers there is type evidence where a vendor's MIB says what its subtree
is (classify/device_type.py PRODUCT_SUBTREES: CHECKPOINT-MIB's on a Gaia firewall's net-snmp agent).

Every device is probed, beside its other requests, and the objects of the makers found are asked in a
round of their own. A device whose sysObjectID does name its maker is probed too: a box built
on another maker's software answers that maker's MIB for its serial (an Eltex switch, ARICENT-ISS-MIB),
and a product sold on under a new owner's number its old one's (a SyncServer, Symmetricom's SYMM-SMI).
Only their serial, model and firmware objects are asked (observations.other_makers); the vendor stays
sysObjectID's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.scan.classify.vendor import names_agent_software, names_its_maker
from agent.scan.snmp.oids import Oid

if TYPE_CHECKING:  # the probe's only I/O is the session it is handed; the rest is pure
    from agent.scan.snmp.session import Session

ENTERPRISES: Oid = (1, 3, 6, 1, 4, 1)
MAX_HOPS = 6  # GETNEXTs per device: agents, then the maker, rarely more than four enterprises


def wanted(sys_object_id: str) -> bool:
    """True when sysObjectID names no maker (absent, outside enterprises, or an agent's software): the probe
    names the maker."""
    return not names_its_maker(sys_object_id)


async def first_objects(session: Session, *, hops: int = MAX_HOPS) -> tuple[Oid, ...]:
    """The first object the device answers under each enterprise that has one, in OID order.

    Stops at the end of enterprises(1.3.6.1.4.1), at the end of the view, after `hops` requests,
    and at an agent that does not move forward (a broken GETNEXT would otherwise loop).
    """
    found: list[Oid] = []
    cursor: Oid = ENTERPRISES
    for _ in range(hops):
        name = await session.next_name(cursor)
        if name is None or len(name) <= len(ENTERPRISES) or name[:len(ENTERPRISES)] != ENTERPRISES \
                or name <= cursor:
            break
        found.append(name)
        cursor = (*ENTERPRISES, name[len(ENTERPRISES)] + 1)
    return tuple(found)


def enterprise_of(name: Oid) -> int:
    """The enterprise number an object under enterprises(1.3.6.1.4.1) lies under."""
    return name[len(ENTERPRISES)]


def maker_enterprise(answering: tuple[Oid, ...]) -> int:
    """The first answering enterprise that is not an SNMP agent's software, 0 when none."""
    first = maker_object(answering)
    return enterprise_of(first) if first else 0


def maker_object(answering: tuple[Oid, ...]) -> Oid:
    """The first object the device answers under its maker's enterprise (maker_enterprise), () when none."""
    return next((name for name in answering if not names_agent_software(enterprise_of(name))), ())

"""SNMPv2-MIB system group (RFC 3418): the scalars every agent answers, read with the request
that proves the credential."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.scan.model import SnmpSystem
from agent.scan.snmp.oids import (
    SYS_CONTACT,
    SYS_DESCR,
    SYS_LOCATION,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_SERVICES,
    SYS_UPTIME,
    Oid,
)
from agent.scan.snmp.values import as_int, oid_text, text


def system_group(scalars: Mapping[Oid, Any]) -> SnmpSystem:
    """The system group from the scalars a GET returned (absent ones are empty)."""
    def s(oid: Oid) -> str:
        return text(scalars[oid]) if oid in scalars else ""

    object_id = oid_text(scalars[SYS_OBJECT_ID]) if SYS_OBJECT_ID in scalars else ""
    return SnmpSystem(descr=s(SYS_DESCR), object_id=object_id,
                      uptime_ticks=as_int(scalars.get(SYS_UPTIME, 0)), contact=s(SYS_CONTACT),
                      name=s(SYS_NAME), location=s(SYS_LOCATION))


def services(scalars: Mapping[Oid, Any]) -> int:
    """sysServices: the OSI layers the device serves (a classification hint), 0 if not given."""
    return as_int(scalars.get(SYS_SERVICES, 0))

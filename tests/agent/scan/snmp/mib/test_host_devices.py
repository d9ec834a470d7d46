"""HOST-RESOURCES-MIB hrDeviceTable and ENTITY-SENSOR-MIB entPhySensorTable: the kinds of device a host
lists and what its sensors measure, read from their one column each (device-type evidence)."""

from __future__ import annotations

import asyncio
from typing import Any

from agent.scan.snmp.mib.entity_sensor import sensor_types
from agent.scan.snmp.mib.host_resources import device_types
from agent.scan.snmp.oids import COLUMNS, ENT_PHY_SENSOR, HR_DEVICE, HR_DEVICE_TYPES
from tests.agent.scan.snmp.agents import TableAgent

Oid = tuple[int, ...]


def _walk(key: str, mib: dict[Oid, Any]) -> dict[str, Any]:
    return {key: asyncio.run(TableAgent(mib).walk_table(COLUMNS[key]))}


def test_host_device_types_are_their_arcs_under_hrdevicetypes() -> None:
    # net-snmp's indexes (type << 8 | n, as snmpsim-data's ibm-power-chrp recording has them): two
    # processors, a network interface, a disk, a tape drive; then a type registered elsewhere and a
    # value that is no OID at all, which count as 0.
    rows = {768: 3, 769: 3, 1025: 4, 1552: 6, 4608: 18}
    mib: dict[Oid, Any] = {(*HR_DEVICE, 2, i): (*HR_DEVICE_TYPES, t) for i, t in rows.items()}
    mib[(*HR_DEVICE, 2, 5000)] = (1, 3, 6, 1, 4, 1, 2021, 99)
    mib[(*HR_DEVICE, 2, 5001)] = b"printer"
    mib[(*HR_DEVICE, 3, 768)] = b"a processor's description, another column"
    assert device_types(_walk("hrdev", mib)) == (3, 3, 4, 6, 18, 0, 0)
    assert device_types({}) == ()


def test_sensor_types_in_walk_order() -> None:
    # EntitySensorDataType (RFC 3433): celsius(8), percentRH(9), rpm(10); entPhySensorScale is not read.
    mib: dict[Oid, Any] = {(*ENT_PHY_SENSOR, 1, 1001): 8, (*ENT_PHY_SENSOR, 1, 1002): 9,
                           (*ENT_PHY_SENSOR, 1, 2001): 10, (*ENT_PHY_SENSOR, 2, 1001): 9}
    assert sensor_types(_walk("sensor", mib)) == (8, 9, 10)
    assert sensor_types({}) == ()

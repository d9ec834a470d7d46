"""ENTITY-SENSOR-MIB entPhySensorTable (RFC 3433) -> what the device's sensors measure.

Device-type evidence (classify/device_type.py): network gear's sensors read temperatures, fan speeds,
voltages, currents and optical power; an environmental monitor's read relative humidity too.
"""

from __future__ import annotations

from agent.scan.snmp.mib import Tables
from agent.scan.snmp.values import as_int


def sensor_types(tables: Tables) -> tuple[int, ...]:
    """entPhySensorType (EntitySensorDataType: voltsAC 3, amperes 5, celsius 8, percentRH 9, rpm 10 ...)
    of every sensor, in walk order."""
    return tuple(as_int(value) for w in tables.get("sensor", ()) for _oid, value in w.rows)

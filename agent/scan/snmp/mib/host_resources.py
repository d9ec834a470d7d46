"""HOST-RESOURCES-MIB (RFC 2790): hrSystem scalars and hrMemorySize -> attributes,
hrSWInstalledTable -> installed software, and hrDeviceTable -> the kinds of device the host lists
(device-type evidence).

Software names stay raw: the collector splits "OpenSSL 1.0.1e (32-bit)"-style names, so nothing
is guessed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.facts.model import SoftwareItem
from agent.scan.snmp.mib import Tables
from agent.scan.snmp.oids import HR_DEVICE_TYPES, HR_MEMORY_SIZE, HR_SW_INSTALLED, HR_SYSTEM, Oid
from agent.scan.snmp.values import as_int, dotted, octets, oid_text, parse_date_and_time, rows_by_index, text

# hrSystem columns reported under their MIB names (hrSystemDate, column 2, is parsed apart).
_HR_SYSTEM_LABELS = {1: "hrSystemUptime", 3: "hrSystemInitialLoadDevice", 4: "hrSystemInitialLoadParameters",
                     5: "hrSystemNumUsers", 6: "hrSystemProcesses", 7: "hrSystemMaxProcesses"}


def attributes(scalars: Mapping[Oid, Any], tables: Tables) -> dict[str, str]:
    """hrSystem values and the memory size, by MIB object name (hrMemorySize as hrMemorySizeKiB)."""
    out: dict[str, str] = {}
    for oid, val in (r for w in tables.get("hr", ()) for r in w.rows):
        col = oid[len(HR_SYSTEM)] if len(oid) > len(HR_SYSTEM) else 0
        label = _HR_SYSTEM_LABELS.get(col)
        if col == 2:
            when = parse_date_and_time(octets(val))
            if when:
                out["hrSystemDate"] = when.isoformat()
        elif label:
            out[label] = text(val) if col == 4 else str(as_int(val))
    if HR_MEMORY_SIZE in scalars:
        out["hrMemorySizeKiB"] = str(as_int(scalars[HR_MEMORY_SIZE]))
    return out


def software(tables: Tables) -> tuple[SoftwareItem, ...]:
    """Installed software (hrSWInstalledName, hrSWInstalledDate), in index order."""
    out: list[SoftwareItem] = []
    for _index, cols in sorted(rows_by_index(tables.get("sw", ()), HR_SW_INSTALLED).items()):
        name = text(cols.get(2, b""))
        if name:
            out.append(SoftwareItem(name=name, version="", source="snmp",
                                    installed_at=parse_date_and_time(octets(cols[5])) if 5 in cols else None))
    return tuple(out)


def device_types(tables: Tables) -> tuple[int, ...]:
    """hrDeviceType of every device the host lists, as its arc under HOST-RESOURCES-TYPES hrDeviceTypes
    (processor 3, network 4, printer 5, diskStorage 6, tape 18 ...); 0 for a type registered elsewhere."""
    under = dotted(HR_DEVICE_TYPES) + "."
    out: list[int] = []
    for _oid, value in (r for w in tables.get("hrdev", ()) for r in w.rows):
        arc = oid_text(value).lstrip(".").removeprefix(under)
        out.append(int(arc) if arc.isdigit() else 0)
    return tuple(out)

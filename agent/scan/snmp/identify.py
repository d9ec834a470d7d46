"""Model, serial and firmware of a device from every place they live, in order of trust.

- serial: the ENTITY-MIB chassis' entPhysicalSerialNum, then the vendor's or the standard MIB's
  serial object (mib/vendor_ids.py), then a serial sysDescr names ("SN: ...");
- model: the chassis' entPhysicalModelName, then the vendor's or standard MIB's model object, then
  the model sysDescr names (describe.py), then the chassis' entPhysicalDescr/Name when they read as
  a product name;
- firmware: the vendor's or UPS-MIB's version object (it names the release the device runs), then the
  chassis' entPhysicalSoftwareRev, then the version sysDescr names, then the chassis'
  entPhysicalFirmwareRev (often boot code or a BIOS: a hypervisor's smbios entity reports its BIOS
  there while sysDescr names the OS).

Placeholders are never an answer, here or anywhere: a serial such as "<private>", "0000" or a date,
a model or version such as "Unknown" or "N/A" is skipped for the next source (the agent's one junk
filter, agent/facts/identifiers.py, which the collector's matches: tests/data/identity/vectors.json).
Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.facts.identifiers import is_placeholder
from agent.scan.snmp.describe import describe
from agent.scan.snmp.mib.entity import Chassis, names_a_kind
from agent.scan.snmp.mib.vendor_ids import VendorIds

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Identity:
    """The device's serial, model and firmware; "" where no source names one."""

    serial: str = ""
    model: str = ""
    firmware: str = ""


def identify(descr: str, *, host_name: str, vendor: str, chassis: Chassis, ids: VendorIds) -> Identity:
    """Serial, model and firmware from the chassis, vendor/standard MIB objects and sysDescr.

    Args:
        descr: sysDescr.
        host_name: sysName (never the model).
        vendor: the vendor already decided (its name is never the model).
        chassis: the ENTITY-MIB box (mib/entity.py).
        ids: what the vendor and standard MIB objects answered (mib/vendor_ids.py).
    """
    said = describe(descr, host_name=host_name, vendor=vendor)
    return Identity(
        serial=_first((chassis.serial, *ids.serials, said.serial), dates=True),
        model=_first(_model_of(m) for m in (chassis.model, *ids.models, said.model, chassis.descr)
                     if _could_be_a_model(m, host_name)),
        firmware=_version_of(_first((*ids.firmwares, chassis.firmware, said.version, chassis.firmware_rev))),
    )


# A version is no model ("v5.4.7-2.1", "R23.6"), whatever object holds it.
_VERSION_SHAPED = re.compile(r"^[vVrR]?\d+(?:\.\d+)+[\w.\-]*$")


# A release and its build after the product name, as one object names both ("FortiSwitch-424E-Fiber
# v7.4.0,build0767,230602 (GA)": FORTINET-FORTISWITCH-MIB fsSysVersion).
_RELEASE_AFTER = re.compile(r"\s+[vV]?\d+(?:\.\d+)+[,\s]+build.*$", re.IGNORECASE)


def _model_of(value: str) -> str:
    """The product name alone, without the release and build an object may name after it."""
    return _RELEASE_AFTER.sub("", value)


def _could_be_a_model(value: str, host_name: str) -> bool:
    """Not a kind of entity ("Chassis", "Stack"), not a version, not the device's own name."""
    v = value.strip()
    return not (names_a_kind(v) or _VERSION_SHAPED.match(v) or (host_name and v.casefold() == host_name.casefold()))


def _version_of(value: str) -> str:
    """The version a firmware string names: MIB objects often wrap it in words ("Version 5.170
    V200R010C00SPC600", "INV: 2.08.0011", "15.5.4 (Build 1045)"); a single token stays as it is."""
    words = value.replace(",", " ").split()
    if len(words) <= 1:
        return value
    if words[0][:1].isdigit() or (words[0][:1] in "vV" and words[0][1:2].isdigit()):
        return words[0]
    return describe(value).version or value


def _first(values: Iterable[str], *, dates: bool = False) -> str:
    """The first value that is not a placeholder, with its spaces squeezed (a date is one only where a
    serial belongs: "01.17.4945" is a fine firmware version)."""
    for raw in values:
        # Control characters are never part of these values (HP's PML objects, for one, start with two
        # octets of type and length).
        v = " ".join(_CONTROL.sub("", raw).split())
        if v and not is_placeholder(v, dates=dates):
            return v
    return ""

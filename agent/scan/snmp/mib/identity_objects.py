"""The vendor MIB objects that may hold a device's serial, model or firmware, from the public MIBs.

vendor_ids.py lists such objects by hand for the vendors someone checked; this module reads the
registry generated from a public MIB collection (identity_mibs.py, `netcensus-agent identity-objects`;
registry/README.md says where it comes from) so that a device of any vendor with public MIBs is asked
for them. Candidates are keyed by the enterprise number of sysObjectID; `choose` picks at most
MAX_PER_DEVICE of them for one device, preferring those under the device's own product subtree
(Fortinet, Moxa, Edgecore and others keep one MIB per product line at 1.3.6.1.4.1.PEN.<product>...,
the arc sysObjectID names too), then in the registry's order (device words first, scalars first),
taking the kinds in turn so that each gets its share. A candidate is a scalar's instance (closing in
.0), asked by GET, or a column of a table whose first row is the device, asked by one GETNEXT of
the column (its first row, whatever the index: unit 127, bus address 210, stack member 1 board 1).

The table is read once, lazily, on the first device that needs it. Pure apart from that read.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from agent.scan.snmp.oids import Oid
from agent.scan.snmp.values import is_text, text

REGISTRY = Path(__file__).with_name("registry") / "identity_objects.tsv.gz"
# OIDs asked per device (one GET of GET_BATCH); most answer noSuchObject. 32 (24 until IBM's enterprise
# held 13 model objects, BladeCenter's CME-MIB among them, crowding out IBM-AIX-MIB's on an AIX host).
MAX_PER_DEVICE = 32
GET_BATCH = 32  # varbinds per GET: one request per device (two, 12 each, were measurably slower on the lab)
KINDS = ("serial", "model", "firmware")
SYNTAXES = ("text", "number")  # the registry's last column: IdObject.number False, True
# Modules defining one descriptor under one enterprise that make it a MIB copied for each product line, each
# copy under its line's OID (D-Link's sysSerialNumber in DES-1210-10MEbx, DGS-1210-28ME_AX and twenty more).
COPIES = 3
_ENTERPRISES = (1, 3, 6, 1, 4, 1)


# A descriptor's camelCase words ("upsAdvIdentSerialNumber" -> ups Adv Ident Serial Number).
CAMEL_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def names_a_device_type(descriptor: str) -> bool:
    """Whether a descriptor closes in the device's or product's "Type" (HIK-DEVICE-MIB deviceType,
    SFOS-FIREWALL-MIB sfosDeviceType "Type of Device like XG-85", RAISECOM-SYSTEM-MIB raisecomDeviceType).

    In a text object that is mostly the model, sometimes a category ("NVR", "ordinaryClock"): the
    registry lists it as a model (identity_mibs.py), and the scanner weighs it after sysDescr's model,
    taking only a value that reads as a product name (snmp/identify.py)."""
    words = [w.lower() for w in CAMEL_WORDS.findall(descriptor)]
    return words[-2:] in (["device", "type"], ["dev", "type"], ["product", "type"], ["prod", "type"])


def names_a_part_number(descriptor: str) -> bool:
    """Whether a descriptor closes in "PartNumber" or "PartNo" (XUPS-MIB xupsIdentPartNumber "The catalog part
    number of the UPS device", ATEN-IPMI-MIB productPartNumber "SYS-1019P-WTR"): the maker's catalogue name
    for the product, the model where no other name is given (entPhysicalModelName is often one too). The
    registry lists only the device's own (identity_mibs.py: a device word before "Part")."""
    words = [w.lower() for w in CAMEL_WORDS.findall(descriptor)]
    return words[-2:] in (["part", "number"], ["part", "no"], ["part", "num"]) or words[-1:] in (["partnumber"],
                                                                                                  ["partno"])


def weak_model_name(descriptor: str) -> bool:
    """A model object named as the device's type or part number: weaker than one named as its model, so
    listed after those (identity_mibs.py) and taken after sysDescr's model (snmp/identify.py)."""
    return names_a_device_type(descriptor) or names_a_part_number(descriptor)


class RegistryError(ValueError):
    """The registry file cannot be read (one line)."""


@dataclass(frozen=True, slots=True)
class IdObject:
    """One candidate object: which field it may hold, where (a scalar's instance or a column), and its
    MIB name."""

    kind: str
    oid: Oid  # a scalar's instance (.0), or a column's own OID
    name: str  # MODULE::descriptor
    number: bool = False  # the MIB defines an integer (RAY-MIB serialNumber), else text

    @property
    def first_row(self) -> bool:
        """Read at the column's first row (GETNEXT of `oid`), not by a GET of `oid`."""
        return self.oid[-1] != 0


def parse(lines: list[str]) -> dict[int, tuple[IdObject, ...]]:
    """Registry lines (see identity_mibs.render) -> enterprise number -> candidates in file order.

    Raises:
        RegistryError: a line is not `pen<TAB>kind<TAB>oid<TAB>name<TAB>syntax`.
    """
    out: dict[int, list[IdObject]] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        try:
            pen, kind, oid, name, syntax = parts
            obj = IdObject(kind, tuple(int(x) for x in oid.split(".")), name, syntax == SYNTAXES[True])
            number = int(pen)
        except ValueError as exc:
            raise RegistryError(f"identity objects registry line {n}: not 'pen, kind, oid, name, syntax' "
                                f"({exc})") from exc
        if kind not in KINDS:
            raise RegistryError(f"identity objects registry line {n}: unknown kind {kind!r}")
        if syntax not in SYNTAXES:
            raise RegistryError(f"identity objects registry line {n}: unknown syntax {syntax!r}")
        out.setdefault(number, []).append(obj)
    return {pen: tuple(objs) for pen, objs in out.items()}


@cache
def load(path: Path = REGISTRY) -> dict[int, tuple[IdObject, ...]]:
    """The registry at `path`, read once per process.

    Raises:
        RegistryError: the file is missing or malformed.
    """
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return parse(fh.readlines())
    except (OSError, EOFError) as exc:
        raise RegistryError(f"identity objects registry {path}: {exc}") from exc


def _arcs(object_id: str) -> Oid:
    try:
        return tuple(int(x) for x in object_id.strip(".").split("."))
    except ValueError:
        return ()


def _shared(a: Oid, b: Oid) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _descriptor(obj: IdObject) -> str:
    return obj.name.partition("::")[2]


def choose(object_id: str, table: Mapping[int, tuple[IdObject, ...]] | None = None, *,
           limit: int = MAX_PER_DEVICE, skip: frozenset[Oid] = frozenset()) -> tuple[IdObject, ...]:
    """At most `limit` candidates to ask a device with this sysObjectID (none outside enterprises).

    Candidates in `skip` (asked anyway, e.g. by vendor_ids.py), or whose column `skip` asks at its
    first row (instance .1), are left out. Within a kind, those sharing more arcs with sysObjectID
    (the device's own product subtree) come first, then the registry's order; of a descriptor copied
    for each product line, only the copy nearer than the others counts as the device's own. The kinds
    then take turns, so a vendor with many firmware objects still gets its serial objects asked.
    """
    arcs = _arcs(object_id)
    if len(arcs) < 7 or arcs[:6] != _ENTERPRISES:
        return ()
    rows = (load() if table is None else table).get(arcs[6], ())
    skip_columns = {o[:-1] for o in skip if o[-1] == 1}
    per_kind: dict[str, list[IdObject]] = {}
    for k in KINDS:
        wanted = [obj for obj in rows if obj.kind == k and obj.oid not in skip and obj.oid not in skip_columns]
        depths = [_shared(obj.oid, arcs) for obj in wanted]
        # Of a descriptor copied into a module per product line (COPIES), only the copy nearer sysObjectID
        # than every other is the device's own line's; the others, however many arcs they share with it
        # (D-Link's twenty copies of sysSerialNumber all share 171.10 with every D-Link), wait their turn
        # in the registry's order, which puts them after the maker's one-of-a-kind objects.
        copies: dict[str, list[int]] = {}
        for obj, d in zip(wanted, depths, strict=True):
            copies.setdefault(_descriptor(obj), []).append(d)
        telling = [d if len(copies[_descriptor(obj)]) < COPIES
                   or (copies[_descriptor(obj)].count(d) == 1 and d == max(copies[_descriptor(obj)])) else 0
                   for obj, d in zip(wanted, depths, strict=True)]
        per_kind[k] = [obj for _, _, obj in sorted(zip((-t for t in telling), range(len(wanted)), wanted,
                                                        strict=True))]
    out: list[IdObject] = []
    while len(out) < limit and any(per_kind.values()):
        for k in KINDS:
            if per_kind[k] and len(out) < limit:
                out.append(per_kind[k].pop(0))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Answer:
    """A candidate's non-empty answer."""

    kind: str
    value: str
    name: str

    @property
    def weak(self) -> bool:
        """A model object named as the device's type or part number (`weak_model_name`)."""
        return weak_model_name(self.name.partition("::")[2])


def answers(chosen: tuple[IdObject, ...], scalars: Mapping[Oid, Any]) -> tuple[Answer, ...]:
    """The chosen candidates that answered, in `chosen` order (noSuchObject is absent; a column's first
    row is kept under the column's OID).

    An answer must be of the object's syntax: where modules disagree on what an OID is (ARICENT-ISS-MIB's
    issHardwareSerialNumber or issConfigRestoreRetries at .120, RADWARE-MIB rndSerialNumber or RADLAN's
    rndBasePhysicalAddress at 89.2.12), a device answering a number, or octets that are no text (a MAC's
    six bytes), for a text object implements the other one."""
    return tuple(Answer(o.kind, value, o.name) for o in chosen
                 if o.oid in scalars and (o.number or is_text(scalars[o.oid])) and (value := text(scalars[o.oid])))

"""ENTITY-MIB entPhysicalTable (RFC 6933) -> serial, model, manufacturer and firmware of the box.

One entity stands for the box: a chassis (entPhysicalClass chassis(3)), the one at the top of the
containment tree first (entPhysicalContainedIn 0, else the lowest containing index), then the
lowest index. Without any chassis, the root entity (contained in nothing) of class other(1),
unknown(2), backplane(4), container(5) or stack(11) stands for it -- or, when that root names
nothing itself, its first direct child of such a class that does (a stack's first unit). An agent
that implements ENTITY-MIB without entPhysicalClass at all (some answer only the few columns a
management tool asked for) gets its first top-level entity. Never a module, card, port, power
supply or sensor: their serials and models are the part's, not the device's (a router's Wi-Fi card
reports its PCI id as entPhysicalModelName). Serial, model and version are always read from that
ONE entity, so a placeholder serial on it never lets another entity's model or serial in -- with one
exception for the releases: a box that names none may list its own board again as a module inside
it, carrying the box's serial (FS's and Edgecore's "Primary Stack Management Card" under "Unit 1"):
the same physical part, whose releases are the box's.

Read with its own walk (walk_entities): a chassis has hundreds of entities, only one row's strings
are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.facts.identifiers import is_placeholder
from agent.scan.snmp.mib import Tables
from agent.scan.snmp.oids import COLUMNS, ENT_PHYSICAL, Oid
from agent.scan.snmp.session import Session
from agent.scan.snmp.values import WalkResult, as_int, rows_by_index, text

CHASSIS_GET_MAX = 8  # candidate entities whose strings one GET asks for (a stack has a few chassis)
BOARD_GET_MAX = 4  # modules asked whether they are the box's own board, where the box names no release

# entPhysicalEntry columns (RFC 6933 §4): what each is called where this module reads it.
DESCR, CONTAINED_IN, CLASS, NAME = 2, 4, 5, 7
FIRMWARE_REV, SOFTWARE_REV, SERIAL, MFG, MODEL = 9, 10, 11, 12, 13
# PhysicalClass (ENTITY-MIB): chassis(3); a root of other(1), unknown(2) or stack(11) may stand for
# the box when no chassis is listed. module(9), port(10), cpu(12) etc. never do.
CHASSIS, MODULE = 3, 9
ROOT_CLASSES = frozenset({1, 2, 4, 5, 11})
# entPhysicalName / entPhysicalDescr values that name the kind of entity, not the product.
_GENERIC = frozenset({"chassis", "system", "switch", "router", "stack", "device", "unit", "box", "backplane",
                      "mainboard", "motherboard", "baseboard", "board", "main board", "the chassis", "firewall"})


@dataclass(frozen=True, slots=True)
class Chassis:
    """The box's own ENTITY-MIB strings; "" where it has none."""

    serial: str = ""
    model: str = ""
    vendor: str = ""
    firmware: str = ""  # entPhysicalSoftwareRev: the software the box runs
    firmware_rev: str = ""  # entPhysicalFirmwareRev: often the boot code or BIOS, a last resort
    descr: str = ""   # entPhysicalDescr, then entPhysicalName, when they name a product (see model_like)


def _col(n: int) -> Oid:
    return (*ENT_PHYSICAL, n)


async def walk_entities(session: Session) -> list[WalkResult]:
    """entPhysicalTable as chassis() reads it, without walking every entity's strings.

    Walk entPhysicalClass alone, then GET the strings (and containment) of the chassis entities. With
    no chassis, walk entPhysicalContainedIn too and GET the strings of the root entities instead. Where
    none of them names a release, GET the containment, serial and releases of the first few modules too
    (one may be the box's own board: _own_board). A few hundred class values plus one GET (or two), not
    every column of every port and sensor.
    """
    cls_col, *other_cols = COLUMNS["ent"]
    (classes,) = await session.walk_table([cls_col])
    if not classes.rows:  # no entPhysicalClass: a partial implementation, usually a handful of rows
        return [classes, *await session.walk_table(other_cols)]
    base = len(cls_col)
    by_class = {oid[base:]: as_int(val) for oid, val in classes.rows}
    boxes = [idx for idx, c in by_class.items() if c == CHASSIS]
    if not boxes:
        (contained,) = await session.walk_table([_col(CONTAINED_IN)])
        parent = {oid[base:]: as_int(val) for oid, val in contained.rows}
        roots = sorted(idx for idx, c in by_class.items() if parent.get(idx) == 0 and c in ROOT_CLASSES)
        if roots:
            children = sorted(idx for idx, c in by_class.items()
                              if (parent.get(idx),) == roots[0] and c in ROOT_CLASSES)
            boxes = [roots[0], *children]
    boxes = sorted(boxes)[:CHASSIS_GET_MAX]
    if not boxes:
        return [classes, *(WalkResult() for _ in other_cols)]
    got = await session.get([(*col, *idx) for idx in boxes for col in other_cols])
    # No release on any box: the first modules' containment, serial and releases, one more GET, in case
    # one is the box's own board (chassis(): _own_board).
    named = any(text(got.get((*_col(c), *idx), b"")) for idx in boxes for c in (SOFTWARE_REV, FIRMWARE_REV))
    boards = [] if named else sorted(idx for idx, c in by_class.items() if c == MODULE)[:BOARD_GET_MAX]
    if boards:
        got.update(await session.get([(*_col(c), *idx) for idx in boards
                                      for c in (CONTAINED_IN, FIRMWARE_REV, SOFTWARE_REV, SERIAL)]))
    return [classes, *(WalkResult(rows=[(o, v) for o, v in got.items() if o[:base] == col]) for col in other_cols)]


# The word a description or name ends with to say which entity it is ("MP-118 chassis", Huawei's
# "CE12804 frame1"): the entity's, not part of the product's name.
_ENTITY_WORD_AFTER = re.compile(r"\s+(?:chassis|frame\d*)$", re.IGNORECASE)


def chassis(tables: Tables) -> Chassis:
    """The box's serial, model, manufacturer and firmware: all from the one entity that stands for it."""
    ents = rows_by_index(tables.get("ent", ()), ENT_PHYSICAL)
    box = _the_box(ents)
    if box is None:
        return Chassis()
    cols = ents[box]

    def s(col: int) -> str:
        return text(cols.get(col, b""))

    descr = _ENTITY_WORD_AFTER.sub("", next((d for d in (s(DESCR), s(NAME)) if model_like(d)), ""))
    releases = cols
    if not (s(SOFTWARE_REV) or s(FIRMWARE_REV)) and (board := _own_board(ents, box)) is not None:
        releases = ents[board]
    return Chassis(serial=s(SERIAL), model=s(MODEL), vendor=s(MFG), firmware=text(releases.get(SOFTWARE_REV, b"")),
                   firmware_rev=text(releases.get(FIRMWARE_REV, b"")), descr=descr)


def _own_board(ents: dict[Oid, dict[int, object]], box: Oid) -> Oid | None:
    """The first module contained in the box that carries the box's own serial (not a placeholder): the
    box's board listed again, not a line card or transceiver, whose serials are theirs."""
    serial = text(ents[box].get(SERIAL, b""))
    if is_placeholder(serial):
        return None
    return next((i for i in sorted(ents) if as_int(ents[i].get(CLASS, 0)) == MODULE
                 and ents[i].get(CONTAINED_IN) is not None and (as_int(ents[i].get(CONTAINED_IN)),) == box
                 and text(ents[i].get(SERIAL, b"")) == serial), None)


def _the_box(ents: dict[Oid, dict[int, object]]) -> Oid | None:
    """The index of the entity that stands for the device, or None (see the module docstring)."""
    def contained(i: Oid) -> int:
        # A missing entPhysicalContainedIn sorts after 0 (top) but before any real container.
        v = ents[i].get(CONTAINED_IN)
        return as_int(v) if v is not None else 1

    def names_something(i: Oid) -> bool:
        return bool(text(ents[i].get(SERIAL, b"")) or text(ents[i].get(MODEL, b"")))

    def says_chassis(i: Oid) -> bool:
        return any(_ENTITY_WORD_AFTER.search(text(ents[i].get(col, b""))) for col in (DESCR, NAME))

    if not any(CLASS in cols for cols in ents.values()):
        # No entPhysicalClass at all: the first top-level entity that names something, or that calls itself
        # the chassis or frame (Ericsson's SSR 8020 answers only entPhysicalDescr: "SSR 8020 chassis", then its
        # backplane's).
        tops = sorted(i for i in ents if contained(i) in (0, 1) and ents[i].get(CONTAINED_IN) in (None, 0))
        return next((i for i in tops if names_something(i) or says_chassis(i)), None)
    chassis_rows = [i for i in ents if as_int(ents[i].get(CLASS, 0)) == CHASSIS]
    if chassis_rows:
        return min(chassis_rows, key=lambda i: (contained(i), i))
    roots = sorted(i for i in ents if as_int(ents[i].get(CLASS, 0)) in ROOT_CLASSES
                   and ents[i].get(CONTAINED_IN) is not None and contained(i) == 0)
    if not roots:
        return None
    if names_something(roots[0]):
        return roots[0]
    children = sorted(i for i in ents if as_int(ents[i].get(CLASS, 0)) in ROOT_CLASSES
                      and (contained(i),) == roots[0] and ents[i].get(CONTAINED_IN) is not None)
    return next((i for i in children if names_something(i)), roots[0])


def names_a_kind(value: str) -> bool:
    """Whether a name only says what kind of entity it is ("Chassis", "Stack", "Switch 1", "stack.1")."""
    words = [w.strip("()[],.:").casefold() for w in value.replace(".", " ").split()]
    # A number alone of three digits or more is a model ("MODEL: 105" on an Aruba Instant AP), an index is not.
    if words and all(w.isdigit() for w in words) and any(len(w) >= 3 for w in words):
        return False
    return all(w in _GENERIC or w.isdigit() or not w for w in words)


def model_like(value: str) -> bool:
    """Whether an entPhysicalDescr/Name reads as a product name ("WS-C3750G-24TS", "Juniper EX4200-48T
    Switch"), not as a kind ("Chassis", "Switch 1") or a sentence."""
    v = value.strip()
    if not v or len(v) > 64 or len(v.split()) > 6:
        return False
    if names_a_kind(v):
        return False
    return any(c.isdigit() for c in v) and any(c.isalpha() for c in v)


def classes(tables: Tables) -> tuple[int, ...]:
    """entPhysicalClass (PhysicalClass, RFC 6933) of every entity: device-type evidence (stacks, ports)."""
    ents = rows_by_index(tables.get("ent", ()), ENT_PHYSICAL)
    return tuple(as_int(ents[i].get(CLASS, 0)) for i in sorted(ents))

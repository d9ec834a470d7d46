"""ENTITY-MIB entPhysicalTable (RFC 6933) -> serial, model and manufacturer of the chassis.

Read with its own walk (walk_entities): a chassis has hundreds of entities, only the chassis'
strings are used.
"""

from __future__ import annotations

from agent.scan.snmp.mib import Tables
from agent.scan.snmp.oids import COLUMNS, ENT_PHYSICAL
from agent.scan.snmp.session import Session
from agent.scan.snmp.values import WalkResult, as_int, rows_by_index, text

CHASSIS_GET_MAX = 8  # chassis entities whose serial/mfg/model one GET asks for (a stack has a few)


async def walk_entities(session: Session) -> list[WalkResult]:
    """entPhysicalTable as chassis() reads it, without walking every entity's strings.

    A chassis, switch stack or router has hundreds of entities (ports, modules, sensors); only
    the chassis' serial, manufacturer and model are used. So: walk entPhysicalClass alone, GET
    serial/mfg/model of the chassis (class 3) entries, and walk those three columns for every
    entity only when no chassis carries a serial or a model (the fallback of chassis()
    then applies to all). Same result as walking the four columns, a third of the varbinds or less.
    """
    cls_col, *str_cols = COLUMNS["ent"]
    (classes,) = await session.walk_table([cls_col])
    base = len(cls_col)
    boxes = [oid[base:] for oid, val in classes.rows if as_int(val) == 3][:CHASSIS_GET_MAX]
    if boxes:
        got = await session.get([(*col, *idx) for idx in boxes for col in str_cols])
        if any(text(v) for (oid, v) in got.items() if oid[base - 1] in (11, 13)):
            return [classes, *(WalkResult(rows=[(o, v) for o, v in got.items() if o[:base] == col])
                               for col in str_cols)]
    return [classes, *await session.walk_table(str_cols)]


def chassis(tables: Tables) -> tuple[str, str, str]:
    """(serial, model, manufacturer) of the chassis (entPhysicalClass chassis(3)) that has them.

    Failing a chassis, the first entity with a serial or model stands for the box.
    """
    ents = rows_by_index(tables.get("ent", ()), ENT_PHYSICAL)
    for index in sorted(ents, key=lambda i: (as_int(ents[i].get(5, 0)) != 3, i)):
        cols = ents[index]
        if text(cols.get(11, b"")) or text(cols.get(13, b"")):
            return text(cols.get(11, b"")), text(cols.get(13, b"")), text(cols.get(12, b""))
    return "", "", ""


def classes(tables: Tables) -> tuple[int, ...]:
    """entPhysicalClass (PhysicalClass, RFC 6933) of every entity: device-type evidence (stacks, ports)."""
    ents = rows_by_index(tables.get("ent", ()), ENT_PHYSICAL)
    return tuple(as_int(ents[i].get(5, 0)) for i in sorted(ents))

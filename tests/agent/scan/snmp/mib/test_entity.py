"""ENTITY-MIB: walk_entities reads the chassis' strings only, and finds what a full walk finds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.scan.snmp.mib.entity import walk_entities
from agent.scan.snmp.observations import build_observations
from agent.scan.snmp.oids import COLUMNS, ENT_PHYSICAL
from tests.agent.scan.snmp.agents import TableAgent

Oid = tuple[int, ...]

_WHEN = datetime(2026, 5, 1, tzinfo=UTC)


def _entities(n: int, chassis: dict[int, tuple[bytes, bytes, bytes]]) -> dict[Oid, Any]:
    mib: dict[Oid, Any] = {}
    for i in range(1, n + 1):
        serial, mfg, model = chassis.get(i, (b"", b"", b""))
        mib[(*ENT_PHYSICAL, 2, i)] = f"entity {i}".encode()
        mib[(*ENT_PHYSICAL, 5, i)] = 3 if i in chassis else 10  # chassis(3), port(10)
        mib[(*ENT_PHYSICAL, 7, i)] = f"e{i}".encode()
        mib[(*ENT_PHYSICAL, 11, i)] = serial if i in chassis else f"port-serial-{i}".encode()
        mib[(*ENT_PHYSICAL, 12, i)] = mfg
        mib[(*ENT_PHYSICAL, 13, i)] = model
    return mib


def _chassis_of(results: Any) -> tuple[str, str]:
    (dev,) = build_observations("192.0.2.9", {}, {"ent": results}, seen_at=_WHEN)
    return dev.serial, dev.model


def test_walk_entities_gets_only_the_chassis_strings() -> None:
    agent = TableAgent(_entities(200, {150: (b"FOC123", b"Cisco", b"WS-C3750")}))
    res = asyncio.run(walk_entities(agent))
    assert _chassis_of(res) == ("FOC123", "WS-C3750")
    # The class column of 200 entities plus one GET: not 200 x 4 varbinds.
    assert agent.varbinds == 200 + 3
    full = TableAgent(_entities(200, {150: (b"FOC123", b"Cisco", b"WS-C3750")}))
    assert _chassis_of(asyncio.run(full.walk_table(COLUMNS["ent"]))) == ("FOC123", "WS-C3750")


def test_walk_entities_falls_back_when_no_chassis_has_a_serial() -> None:
    # No chassis serial/model: the first entity with a serial wins, as with a full walk.
    agent = TableAgent(_entities(20, {5: (b"", b"", b"")}))
    res = asyncio.run(walk_entities(agent))
    full = TableAgent(_entities(20, {5: (b"", b"", b"")}))
    assert _chassis_of(res) == _chassis_of(asyncio.run(full.walk_table(COLUMNS["ent"]))) == ("port-serial-1", "")
    nothing = TableAgent(_entities(20, {}))
    assert _chassis_of(asyncio.run(walk_entities(nothing))) == ("port-serial-1", "")

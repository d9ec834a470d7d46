"""A device nothing else types takes the kind its vendor's neighbouring products name (shipped registry)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.scan.snmp.observations import build_observations
from agent.scan.snmp.oids import Oid

SYS_DESCR: Oid = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2, 0)


def _observe(object_id: Oid, descr: bytes) -> tuple[str, str]:
    scalars: dict[Oid, Any] = {SYS_OBJECT_ID: object_id, SYS_DESCR: descr}
    (dev,) = build_observations("192.0.2.10", scalars, {}, seen_at=datetime.now(UTC))
    return dev.device_type, dict(dev.attributes).get("typeEvidence", "")


def test_a_product_newer_than_the_public_mibs_is_typed_by_its_line() -> None:
    # An Edge-Core ECS4210 answers 259.10.1.42.101; the public MIBs root ECS2100-MIB, ECS3510-MIB and
    # ECS4120-MIB beside it (all switch MIBs), none at .42. Its sysDescr is its model, nothing more.
    kind, why = _observe((1, 3, 6, 1, 4, 1, 259, 10, 1, 42, 101), b"ECS4210-28T")
    assert kind == "switch"
    assert "registered under 1.3.6.1.4.1.259.10.1 name switch" in why


"""A device nothing else types takes the kind its vendor's neighbouring products name (shipped registry)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.scan.classify import products
from agent.scan.classify.device_type import product_kind
from agent.scan.model import DEVICE_TYPES
from agent.scan.snmp.observations import build_observations
from agent.scan.snmp.oids import Oid

SYS_DESCR: Oid = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2, 0)


def _observe(object_id: Oid, descr: bytes) -> tuple[str, str]:
    scalars: dict[Oid, Any] = {SYS_OBJECT_ID: object_id, SYS_DESCR: descr}
    (dev,) = build_observations("192.0.2.10", scalars, {}, seen_at=datetime.now(UTC))
    return dev.device_type, dict(dev.attributes).get("typeEvidence", "")


def test_a_product_newer_than_the_public_mibs_is_typed_by_its_line() -> None:
    # An Edge-Core switch of a line newer than the public MIBs answers 259.10.1.97.101; they root
    # ECS2100-MIB, ECS3510-MIB, ECS4210-MIB... beside it (all switch MIBs), none at .97. Its sysDescr
    # is its model, nothing more.
    kind, why = _observe((1, 3, 6, 1, 4, 1, 259, 10, 1, 97, 101), b"ECS4999-28T")
    assert kind == "switch"
    assert "registered under 1.3.6.1.4.1.259.10.1 name switch" in why
    # The ECS4210's own line (.42) has its MIB, which pysmi reads once repaired (mib_repair.py): it speaks.
    kind, why = _observe((1, 3, 6, 1, 4, 1, 259, 10, 1, 42, 101), b"ECS4210-28T")
    assert kind == "switch" and "ECS4210-MIB" in why



@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=0, max_size=40),
       st.sampled_from(["", "1.3.6.1.4.1", "1.3.6.1.4.1.259.10.1", "1.3.6.1.4.1.2011.2"]))
def test_any_sysobjectid_a_device_sends_is_read_without_fault(arcs: list[int], under: str) -> None:
    # sysObjectID comes from the network: any arcs, any depth, under a busy vendor node or nowhere.
    oid = ".".join([under, *map(str, arcs)] if under else map(str, arcs))
    found = products.kind_beside(oid, product_kind)
    assert found is None or (found.kind in DEVICE_TYPES and found.speaking >= 2
                             and 3 * found.agreeing >= 2 * found.speaking and oid.startswith(found.under + "."))


def test_the_oids_a_device_invents_are_not_remembered() -> None:
    # A hostile agent may answer a new sysObjectID on every poll; only the registry's own subtrees are kept.
    kept = products._table().kinds_below  # the cache under test
    before = len(kept)
    for n in range(50):
        assert products.kind_beside(f"1.3.6.1.4.1.4294967295.{n}.7.7.7.7.7.7", product_kind) is None
    assert len(kept) == before

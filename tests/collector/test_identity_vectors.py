"""The collector's identity rules against the vectors the agent's tests read too (tests/data/identity).

Agent and collector share no code, so each implements junk serials and UUIDs, MAC classes and the
OUI vendor lookup on its own; this file and tests/agent/test_identity_vectors.py hold both to one
list of answers. The collector normalises a MAC once, at the edge (collector/wire/codec.py), and
classifies the normalised form: so do these tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collector.domain.identifiers import (
    JUNK_SERIALS,
    JUNK_UUIDS,
    mac_class,
    mac_is_identity,
    mac_is_local,
    normalise_mac,
    normalise_serial,
    normalise_uuid,
)
from collector.inventory.oui import oui_vendor

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "identity" / "vectors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("value", VECTORS["serials"]["junk"])
def test_junk_serial_is_no_identity(value: str) -> None:
    assert normalise_serial(value) == ""


@pytest.mark.parametrize("value", VECTORS["serials"]["real"])
def test_real_serial_is_identity(value: str) -> None:
    assert normalise_serial(f" {value}\n") == " ".join(value.split()).upper()


def test_every_listed_placeholder_is_a_shared_vector() -> None:
    """A placeholder added here and not to the vectors would be refused by the collector only."""
    shared = {" ".join(v.split()).upper() for v in VECTORS["serials"]["junk"]}
    assert JUNK_SERIALS - shared == set()


@pytest.mark.parametrize("value", VECTORS["uuids"]["junk"])
def test_junk_uuid_is_no_identity(value: str) -> None:
    assert normalise_uuid(value) == ""


@pytest.mark.parametrize(("raw", "canonical"), VECTORS["uuids"]["real"])
def test_real_uuid_is_canonical(raw: str, canonical: str) -> None:
    assert normalise_uuid(raw) == canonical


def test_every_listed_junk_uuid_is_a_shared_vector() -> None:
    shared = {v.strip().strip("{}").lower() for v in VECTORS["uuids"]["junk"]}
    assert JUNK_UUIDS - shared == set()


@pytest.mark.parametrize("case", VECTORS["macs"], ids=lambda c: c["mac"] or "empty")
def test_mac_class(case: dict[str, Any]) -> None:
    mac = normalise_mac(case["mac"])
    assert mac_class(mac) == case["class"]
    assert mac_is_identity(mac) is case["identity"]
    assert mac_is_local(mac) is (case["class"] == "local")


@pytest.mark.parametrize("case", VECTORS["oui"], ids=lambda c: c["mac"])
def test_oui_vendor(case: dict[str, str]) -> None:
    assert oui_vendor(normalise_mac(case["mac"])) == case["vendor"]


@pytest.mark.parametrize("case", VECTORS["bindable"], ids=lambda c: c["mac"])
def test_l2_binding_mac(case: dict[str, Any]) -> None:
    from collector.domain.identifiers import mac_binds

    assert mac_binds(normalise_mac(case["mac"])) is case["bindable"]

"""The agent's identity rules against the vectors the collector's tests read too (tests/data/identity).

Agent and collector share no code, so each implements junk serials and UUIDs, MAC classes and the
OUI vendor lookup on its own; this file and tests/collector/test_identity_vectors.py hold both to
one list of answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.facts import identifiers
from agent.facts.identifiers import clean_identifier, clean_uuid, is_placeholder
from agent.scan.classify import mac_class, mac_is_local, mac_vendor

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "identity" / "vectors.json").read_text(encoding="utf-8"))


def _squeezed(value: str) -> str:
    return " ".join(value.split()).casefold()


@pytest.mark.parametrize("value", VECTORS["serials"]["junk"])
def test_junk_serial_is_no_identity(value: str) -> None:
    assert is_placeholder(value)
    assert clean_identifier(value) == ""


@pytest.mark.parametrize("value", VECTORS["serials"]["real"])
def test_real_serial_is_identity(value: str) -> None:
    assert not is_placeholder(value)
    assert clean_identifier(f" {value}\n") == value


def test_every_listed_placeholder_is_a_shared_vector() -> None:
    """A placeholder added here and not to the vectors would be blanked by the agent only."""
    shared = {_squeezed(v) for v in VECTORS["serials"]["junk"]}
    assert set(identifiers._PLACEHOLDERS) - shared == set()


@pytest.mark.parametrize("value", VECTORS["uuids"]["junk"])
def test_junk_uuid_is_no_identity(value: str) -> None:
    assert clean_uuid(value) == ""


@pytest.mark.parametrize(("raw", "canonical"), VECTORS["uuids"]["real"])
def test_real_uuid_is_canonical(raw: str, canonical: str) -> None:
    assert clean_uuid(raw) == canonical


def test_every_listed_junk_uuid_is_a_shared_vector() -> None:
    shared = {v.strip().strip("{}").lower() for v in VECTORS["uuids"]["junk"]}
    assert set(identifiers._JUNK_UUIDS) - shared == set()


@pytest.mark.parametrize("case", VECTORS["macs"], ids=lambda c: c["mac"] or "empty")
def test_mac_class(case: dict[str, Any]) -> None:
    assert mac_class(case["mac"]) == case["class"]
    assert (mac_class(case["mac"]) == "global") is case["identity"]
    assert mac_is_local(case["mac"]) is (case["class"] == "local")


@pytest.mark.parametrize("case", VECTORS["oui"], ids=lambda c: c["mac"])
def test_oui_vendor(case: dict[str, str]) -> None:
    assert mac_vendor(case["mac"]) == case["vendor"]


@pytest.mark.parametrize("case", VECTORS["bindable"], ids=lambda c: c["mac"])
def test_l2_binding_mac(case: dict[str, Any]) -> None:
    from agent.scan.binding import unbindable

    assert (unbindable(case["mac"]) == "") is case["bindable"]

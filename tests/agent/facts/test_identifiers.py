"""Placeholder identifiers are blanked; real ones pass through untouched."""

from __future__ import annotations

import pytest

from agent.facts.identifiers import clean_identifier, clean_uuid, is_placeholder


@pytest.mark.parametrize(
    "value",
    [
        "To be filled by O.E.M.",
        "TO BE FILLED BY O.E.M.",
        "  To Be Filled By O.E.M.  ",
        "Default string",
        "System Serial Number",
        "0",
        "None",
        "Not Specified",
        "123456789",
        "0000000000",
        "FFFFFFFF",
        "xxxx-xxxx",
        "",
        "   ",
    ],
)
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)
    assert clean_identifier(value) == ""


@pytest.mark.parametrize("value", ["4XK2QH3", "ZM19AS012345", "C02XK0ABJG5H", "PF2ABCDE", "10"])
def test_real_serials_pass(value: str) -> None:
    assert not is_placeholder(value)
    assert clean_identifier(f" {value}\n") == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4C4C4544-0058-4B10-8032-B4C04F514833", "4c4c4544-0058-4b10-8032-b4c04f514833"),
        ("{4C4C4544-0058-4B10-8032-B4C04F514833}", "4c4c4544-0058-4b10-8032-b4c04f514833"),
        ("4c4c454400584b108032b4c04f514833", "4c4c4544-0058-4b10-8032-b4c04f514833"),
        ("00000000-0000-0000-0000-000000000000", ""),
        ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", ""),
        ("03000200-0400-0500-0006-000700080009", ""),
        ("Not Settable", ""),
        ("", ""),
    ],
)
def test_uuid_canonical_or_blank(raw: str, expected: str) -> None:
    assert clean_uuid(raw) == expected

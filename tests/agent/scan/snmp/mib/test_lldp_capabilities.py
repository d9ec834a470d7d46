"""The capabilities a device advertises over LLDP (lldpLocSysCapEnabled, a BITS value): which bits
are which, and what they say about its type."""

from __future__ import annotations

from typing import Any

import pytest

from agent.scan.classify.device_type import TypeSignals, decide_type
from agent.scan.snmp.mib.lldp import capabilities
from agent.scan.snmp.oids import LLDP_LOC_SYS_CAP_ENABLED, Oid


@pytest.mark.parametrize(("raw", "expected"), [
    (b"\x28", {"bridge", "router"}),                     # bits 2 and 4
    (b"\x20", {"bridge"}),
    (b"\x30", {"bridge", "wlanAccessPoint"}),            # an access point bridging its radio
    (b"\x24\x00", {"bridge", "telephone"}),              # a phone with a PC port; a second octet
    (b"\x01", {"stationOnly"}),
    (b"", set()),
])
def test_bits_are_read_from_the_most_significant_bit(raw: bytes, expected: set[str]) -> None:
    assert capabilities({LLDP_LOC_SYS_CAP_ENABLED: raw}) == expected


def test_no_answer_is_no_capability() -> None:
    scalars: dict[Oid, Any] = {}
    assert capabilities(scalars) == frozenset()


@pytest.mark.parametrize(("caps", "expected", "reason"), [
    ({"bridge", "telephone"}, "phone", "LLDP capability telephone (+5)"),
    ({"bridge", "wlanAccessPoint"}, "wireless", "LLDP capability wlanAccessPoint (+4)"),
    ({"bridge"}, "switch", "LLDP capability bridge (+3)"),
    ({"router"}, "router", "LLDP capability router (+3)"),
    ({"bridge", "router"}, "unknown", ""),               # a layer-3 switch or a router with switch ports
    ({"stationOnly"}, "unknown", ""),
])
def test_what_lldp_capabilities_say_about_the_type(caps: set[str], expected: str, reason: str) -> None:
    decision = decide_type(TypeSignals(lldp=frozenset(caps)))
    assert decision.device_type == expected
    if reason:
        assert reason in decision.reasons

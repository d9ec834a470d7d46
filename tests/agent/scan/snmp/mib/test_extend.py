"""What an administrator publishes through net-snmp's `extend`: where each form answers, which agents are
asked, and what is read (values made up, OIDs as net-snmp 5.9 registers them)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.scan.snmp.mib import extend
from agent.scan.snmp.mib.extend import Published

Oid = tuple[int, ...]
NS_EXTEND = (1, 3, 6, 1, 4, 1, 8072, 1, 3, 2)
RELOCATED = (1, 3, 6, 1, 4, 1, 2021, 7890)


def _name(value: str) -> Oid:
    return (len(value), *value.encode())


def test_every_form_of_the_four_conventional_extends_is_asked_in_one_request() -> None:
    oids = extend.request("1.3.6.1.4.1.8072.3.2.10", "Linux gw 5.4.137 #0 SMP armv7l")
    # `extend distro ...`: nsExtendOutput1Line."distro" and nsExtendOutputFull."distro"
    assert (*NS_EXTEND, 3, 1, 1, 6, *b"distro") in oids
    assert (*NS_EXTEND, 3, 1, 2, 6, *b"distro") in oids
    # `extend .1.3.6.1.4.1.2021.7890.2 hardware ...`: the tables below the relocated OID
    assert (*RELOCATED, 2, 3, 1, 1, 8, *b"hardware") in oids
    assert (*RELOCATED, 2, 4, 1, 2, 8, *b"hardware", 1) in oids
    # `exec .1.3.6.1.4.1.2021.7890.1 distro ...` (UCD-SNMP-MIB extOutput of the relocated entry)
    assert (*RELOCATED, 1, 101, 1) in oids
    assert len(oids) == len(set(oids)) == 20


@pytest.mark.parametrize(("object_id", "descr", "asked"), [
    ("1.3.6.1.4.1.8072.3.2.10", "Linux web01 3.10.0-693.el7.x86_64 #1 SMP x86_64", True),
    ("1.3.6.1.4.1.8072.3.2.8", "", True),                                   # net-snmp's own, any platform
    ("1.3.6.1.4.1.2021.250.10", "", True),                                  # UCD-SNMP's
    ("1.3.6.1.4.1.2238", "FreeBSD fw 12.1-RELEASE FreeBSD 12.1-RELEASE", True),  # a Unix's sysDescr
    ("1.3.6.1.4.1.9.1.516", "Cisco IOS Software, C3750 Software", False),   # not net-snmp
    ("1.3.6.1.4.1.311.1.1.3.1.2", "Hardware: Intel64 - Software: Windows Version 6.3", False),
    ("", "", False),
])
def test_only_an_agent_that_may_be_net_snmp_is_asked(object_id: str, descr: str, asked: bool) -> None:
    assert extend.asked(object_id, descr) is asked
    assert bool(extend.request(object_id, descr)) is asked


def test_the_first_line_of_the_most_direct_answer_is_read_per_field() -> None:
    scalars: dict[Oid, Any] = {
        (*RELOCATED, 1, 3, 1, 1, *_name("distro")): b"Debian 12.11",
        (*NS_EXTEND, 3, 1, 1, *_name("distro")): b"OpenWrt 21.02.0-rc4",          # the default form first
        (*NS_EXTEND, 3, 1, 2, *_name("hardware")): b"Linksys WRT1200AC\nrev 2",  # OutputFull: its first line
        (*RELOCATED, 3, 4, 1, 2, *_name("manufacturer"), 1): b"  Linksys  ",
        (*RELOCATED, 4, 101, 1): b"SN-000123",
    }
    assert extend.published(scalars) == Published(release="OpenWrt 21.02.0-rc4", model="Linksys WRT1200AC",
                                                  maker="Linksys", serial="SN-000123")
    assert extend.published({}) == Published()


def test_dmi_fillers_and_a_date_in_the_serial_are_not_published_values() -> None:
    scalars: dict[Oid, Any] = {
        (*NS_EXTEND, 3, 1, 1, *_name("hardware")): b"System Product Name",
        (*NS_EXTEND, 3, 1, 1, *_name("manufacturer")): b"To be filled by O.E.M.",
        (*NS_EXTEND, 3, 1, 1, *_name("serial")): b"12/05/2023",
        (*RELOCATED, 4, 101, 1): b"CZJ1234ABC",                                  # the next form still counts
        (*NS_EXTEND, 3, 1, 1, *_name("distro")): b"",
    }
    assert extend.published(scalars) == Published(serial="CZJ1234ABC")


def test_an_extend_of_another_name_is_the_administrator_s_own_and_not_read() -> None:
    scalars: dict[Oid, Any] = {(*NS_EXTEND, 3, 1, 1, *_name("version")): b"OPNsense 20.1.2",
                               (*NS_EXTEND, 3, 1, 1, *_name("device")): b"Asus RT-N66U"}
    assert extend.published(scalars) == Published()

"""ENTITY-MIB: the one entity that stands for the box, read with one GET, never a module's values."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.scan.snmp.mib.entity import Chassis, chassis, model_like, walk_entities
from agent.scan.snmp.observations import build_observations
from agent.scan.snmp.oids import COLUMNS, ENT_PHYSICAL
from agent.scan.snmp.values import WalkResult
from tests.agent.scan.snmp.agents import TableAgent

Oid = tuple[int, ...]

_WHEN = datetime(2026, 5, 1, tzinfo=UTC)
# PhysicalClass (ENTITY-MIB): other(1) chassis(3) container(5) module(9) port(10) stack(11)
OTHER, CHASSIS, CONTAINER, MODULE, PORT, STACK = 1, 3, 5, 9, 10, 11


def _mib(rows: dict[int, dict[str, Any]]) -> dict[Oid, Any]:
    """entPhysicalTable rows (index -> column name -> value), as an agent holds them."""
    cols = {"descr": 2, "contained": 4, "cls": 5, "name": 7, "fw": 9, "sw": 10, "serial": 11, "mfg": 12,
            "model": 13}
    mib: dict[Oid, Any] = {}
    for i, row in rows.items():
        for name, col in cols.items():
            if name in row:
                v = row[name]
                mib[(*ENT_PHYSICAL, col, i)] = v.encode() if isinstance(v, str) else v
    return mib


def _read(rows: dict[int, dict[str, Any]]) -> tuple[Chassis, TableAgent]:
    agent = TableAgent(_mib(rows))
    return chassis({"ent": asyncio.run(walk_entities(agent))}), agent


def _full(rows: dict[int, dict[str, Any]]) -> Chassis:
    """What a plain walk of every column gives: walk_entities must agree with it."""
    return chassis({"ent": asyncio.run(TableAgent(_mib(rows)).walk_table(COLUMNS["ent"]))})


def _ports(n: int, first: int = 2) -> dict[int, dict[str, Any]]:
    return {i: {"cls": PORT, "contained": 1, "descr": f"port {i}", "name": f"Gi0/{i}", "serial": f"PORTSN{i}",
                "model": f"SFP-{i}"} for i in range(first, first + n)}


def test_one_get_reads_the_chassis_of_hundreds_of_entities() -> None:
    rows = {1: {"cls": CHASSIS, "contained": 0, "serial": "FOC1234X0AB", "mfg": "Cisco", "model": "WS-C3750G-24TS",
                "sw": "12.2(55)SE3", "descr": "Catalyst 3750 chassis"}, **_ports(200)}
    box, agent = _read(rows)
    assert box == Chassis(serial="FOC1234X0AB", model="WS-C3750G-24TS", vendor="Cisco", firmware="12.2(55)SE3",
                          descr="Catalyst 3750")
    # The class column of 201 entities plus one GET of one row's 8 strings, not 201 x 9 varbinds.
    assert agent.varbinds == 201 + 8
    assert _full(rows) == box


@pytest.mark.parametrize(("descr", "name", "expected"), [
    ("MP-118 chassis", "", "MP-118"),                                         # AudioCodes
    ("CE12804,CE12804-AC,CE12804 AC Assembly Chassis(with CMUs and Fans)", "CE12804 frame1", "CE12804"),  # Huawei
    ("NE40E-M2K-B Frame", "", "NE40E-M2K-B"),
    ("Chassis ASR-9006", "", "Chassis ASR-9006"),                             # only the trailing word goes
])
def test_the_word_naming_the_entity_is_not_the_product_s(descr: str, name: str, expected: str) -> None:
    assert _full({1: {"cls": CHASSIS, "contained": 0, "descr": descr, "name": name}}).descr == expected


def test_the_top_chassis_wins_over_a_contained_one() -> None:
    # A stack: the stack entity holds two member chassis; the one contained in nothing comes first.
    rows = {5: {"cls": CHASSIS, "contained": 1, "serial": "MEMBER2", "model": "EX4200-48T"},
            3: {"cls": CHASSIS, "contained": 0, "serial": "TOPSN01", "model": "EX4200-24T"},
            1: {"cls": STACK, "contained": 0, "serial": "STACKSN", "model": "stack"}}
    box, _ = _read(rows)
    assert (box.serial, box.model) == ("TOPSN01", "EX4200-24T") == (_full(rows).serial, _full(rows).model)


def test_serial_model_and_version_come_from_the_same_entity() -> None:
    # The chassis hides its serial; a module's serial and model must not stand in for it.
    rows = {1: {"cls": CHASSIS, "contained": 0, "serial": "<private>", "model": "", "descr": "Cisco 2911 chassis"},
            2: {"cls": MODULE, "contained": 1, "serial": "FOC99MODULE", "model": "HWIC-4ESW", "sw": "1.0"}}
    box, _ = _read(rows)
    assert (box.serial, box.model, box.firmware) == ("<private>", "", "")  # placeholders are dropped later
    assert box.descr == "Cisco 2911"


@pytest.mark.parametrize("cls", [MODULE, PORT, 6])  # 6: powerSupply
def test_no_chassis_never_means_a_module_or_card(cls: int) -> None:
    # A router whose only entity with strings is its Wi-Fi card: the card's PCI id is no model.
    rows = {1: {"cls": cls, "contained": 0, "serial": "", "model": "168c:003c", "descr": "Atheros 802.11ac card"},
            2: {"cls": PORT, "contained": 1, "serial": "PORT1", "model": "SFP-1"}}
    box, _ = _read(rows)
    assert box == Chassis() == _full(rows)


def test_without_a_chassis_a_root_of_class_other_stands_for_the_box() -> None:
    rows = {1: {"cls": OTHER, "contained": 0, "serial": "5A1551F39430", "model": "AP7902B", "fw": "v6.7.2"},
            2: {"cls": MODULE, "contained": 1, "serial": "MODSN", "model": "AP9631"}}
    box, agent = _read(rows)
    assert (box.serial, box.model, box.firmware_rev) == ("5A1551F39430", "AP7902B", "v6.7.2")
    assert (_full(rows).serial, _full(rows).model) == ("5A1551F39430", "AP7902B")
    assert agent.varbinds == 2 + 2 + 8  # class column, containment column, one row's strings


def test_no_entity_table_reads_as_nothing() -> None:
    box, _ = _read({})
    assert box == Chassis()
    assert chassis({}) == Chassis()
    assert chassis({"ent": [WalkResult() for _ in COLUMNS["ent"]]}) == Chassis()


@pytest.mark.parametrize(("text", "expected"), [
    ("WS-C3750G-24TS-1U", True),
    ("Juniper EX4200-48T Switch", True),
    ("Cisco 2911 chassis", True),
    ("Chassis", False),
    ("Switch 1", False),
    ("1", False),
    ("", False),
    ("Linux 5.10.0 running on a board with a very long description of everything it has", False),
])
def test_descr_or_name_reads_as_a_product(text: str, expected: bool) -> None:
    assert model_like(text) is expected


def test_the_chassis_reaches_the_device_observation() -> None:
    rows = {1: {"cls": CHASSIS, "contained": 0, "serial": "FOC1234X0AB", "mfg": "Cisco", "model": "WS-C3750G-24TS",
                "sw": "12.2(55)SE3"}}
    (dev,) = build_observations("192.0.2.9", {}, {"ent": asyncio.run(walk_entities(TableAgent(_mib(rows))))},
                                seen_at=_WHEN)
    assert (dev.serial, dev.model, dev.firmware) == ("FOC1234X0AB", "WS-C3750G-24TS", "12.2(55)SE3")


def test_a_stack_without_a_chassis_is_named_by_its_first_unit() -> None:
    # Edge-core style: stack(11) -> unit container(5) with the box's serial/model -> management module.
    rows = {1: {"cls": STACK, "contained": 0, "descr": "Stack", "name": "stack.1", "serial": "", "model": ""},
            101: {"cls": CONTAINER, "contained": 1, "descr": "Unit 1", "serial": "EC1806001051",
                  "model": "ECS2100-28P"},
            201: {"cls": MODULE, "contained": 101, "serial": "MODULESN", "model": "MGMT-1", "fw": "1.2.2.17"},
            **{i: {"cls": PORT, "contained": 101, "serial": ""} for i in range(1001, 1029)}}
    box, agent = _read(rows)
    assert (box.serial, box.model, box.firmware) == ("EC1806001051", "ECS2100-28P", "")
    assert (_full(rows).serial, _full(rows).model) == ("EC1806001051", "ECS2100-28P")
    # class + containment columns, one GET of two rows; no release there, so one GET of the module's four
    assert agent.varbinds == len(rows) * 2 + 8 * 2 + 4


def test_a_box_without_a_release_takes_its_own_boards_listed_again_with_its_serial() -> None:
    # FS's S3900: "Unit 1" names serial and model, its "Primary Stack Management Card" the same serial and
    # the release; a line card with a serial of its own, or the same card in a box with no serial, lends none.
    rows = {1: {"cls": STACK, "contained": 0, "descr": "Stack", "serial": "", "model": ""},
            101: {"cls": CONTAINER, "contained": 1, "descr": "Unit 1", "serial": "CG1906181563N0093",
                  "model": "S3900-24T4S"},
            150: {"cls": MODULE, "contained": 101, "serial": "LINECARD01", "fw": "9.9.9"},
            201: {"cls": MODULE, "contained": 101, "serial": "CG1906181563N0093", "fw": "1.6.9R2", "sw": ""},
            **{i: {"cls": PORT, "contained": 101, "serial": ""} for i in range(1001, 1029)}}
    box, _ = _read(rows)
    assert (box.serial, box.model, box.firmware, box.firmware_rev) == ("CG1906181563N0093", "S3900-24T4S", "",
                                                                       "1.6.9R2")
    assert _full(rows) == box
    rows[201]["serial"] = "OTHERSN"
    assert _read(rows)[0].firmware_rev == "" == _full(rows).firmware_rev
    rows[101]["serial"] = rows[201]["serial"] = "<private>"
    assert _read(rows)[0].firmware_rev == ""
    # A box naming its own release keeps it, and is asked nothing more.
    rows = {1: {"cls": CHASSIS, "contained": 0, "serial": "SN1", "sw": "2.0"},
            2: {"cls": MODULE, "contained": 1, "serial": "SN1", "sw": "1.0"}}
    box, agent = _read(rows)
    assert box.firmware == "2.0" and agent.varbinds == 2 + 8


def test_without_entphysicalclass_the_first_top_level_entity_stands_for_the_box() -> None:
    # Agents that answer only some ENTITY-MIB columns: no class, no containment for the top row.
    rows = {1: {"serial": "FGVMEVSPIYELLJA8", "model": "FGT_VM64"},
            2: {"contained": 1, "serial": "PSU-SN", "model": "PSU-1"}}
    box, _ = _read(rows)
    assert (box.serial, box.model) == ("FGVMEVSPIYELLJA8", "FGT_VM64") == (_full(rows).serial, _full(rows).model)


def test_without_entphysicalclass_an_entity_calling_itself_the_chassis_stands_for_the_box() -> None:
    # Ericsson's SSR 8020 answers entPhysicalDescr only: the chassis, then its backplane with a serial in text.
    rows = {1: {"descr": "SSR 8020 chassis"}, 2: {"descr": "SSR 8020 backplane SN:DH80092734 Rev:R3L"}}
    box, _ = _read(rows)
    assert box.descr == "SSR 8020" == _full(rows).descr
    assert _read({1: {"descr": "SSR 8020 backplane"}})[0] == Chassis()  # names nothing, calls itself nothing


def test_a_hypervisors_root_backplane_names_the_host() -> None:
    rows = {1: {"cls": 4, "contained": 0, "descr": "HP ProLiant DL380p Gen8", "name": "smbios",
                "serial": "CZ162913BZ", "model": "ProLiant DL380p Gen8", "fw": "2.8"}}
    box, _ = _read(rows)
    # entPhysicalFirmwareRev is the BIOS here: kept apart from the software the host runs.
    assert (box.serial, box.model, box.firmware, box.firmware_rev) == ("CZ162913BZ", "ProLiant DL380p Gen8", "", "2.8")

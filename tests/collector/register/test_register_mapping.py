"""Mapping files for the generic format: what they accept, and file:line errors for what they don't."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.domain.model import StatusClass
from collector.errors import RegisterError
from collector.register import load_mapping, parse_mapping

DATA = Path(__file__).resolve().parents[2] / "data" / "register"


def test_yaml_fixture_loads() -> None:
    mapping = load_mapping(DATA / "generic_mapping.yaml")
    assert mapping.columns["mac"] == ("NIC MAC", "WiFi MAC")
    assert mapping.columns["serial"] == ("SN",)
    assert mapping.status_map == {"In Service": StatusClass.IN_USE, "Spare": StatusClass.IN_STOCK,
                                  "Scrapped": StatusClass.RETIRED, "Missing": StatusClass.LOST}
    assert mapping.defaults == {"category": "Workstation"}
    assert mapping.where("columns.mac") == f"{DATA / 'generic_mapping.yaml'}:6"


def test_json_fixture_loads() -> None:
    mapping = load_mapping(DATA / "generic_mapping.json")
    assert mapping.columns["serial"] == ("hw.serial",)
    assert mapping.status_map["gone"] is StatusClass.RETIRED


def test_values_are_taken_as_written_not_as_yaml_booleans() -> None:
    mapping = parse_mapping("columns:\n  status: On\nstatus_map:\n  Off: retired\n  yes: IN_USE\n  '0': in stock\n")
    assert mapping.columns["status"] == ("On",)
    assert mapping.status_map == {"Off": StatusClass.RETIRED, "yes": StatusClass.IN_USE, "0": StatusClass.IN_STOCK}


def test_json_that_yaml_refuses_is_read_as_json() -> None:
    text = '{\n\t"columns": {"serial": "SN",\t"status": "State"}\n}\n'
    assert parse_mapping(text, "tabs.json").columns == {"serial": ("SN",), "status": ("State",)}


@pytest.mark.parametrize(("text", "parts"), [
    ("columns:\n  serial: SN\nstatus_maps:\n  A: in-use\n", ("m.yaml:3:", 'unknown key "status_maps"', "status_map")),
    ("columns:\n  serial: SN\n  macaddress: MAC\n", ("m.yaml:3:", 'unknown field "macaddress"', "mac, ip")),
    ("columns:\n  serial: SN\nstatus_map:\n  Spare: spare\n", ("m.yaml:4:", 'unknown status class "spare"',
                                                              "in-use, in-stock, retired, lost")),
    ("columns:\n  serial: SN\ndefaults:\n  colour: red\n", ("m.yaml:4:", 'unknown field "colour" under defaults')),
    ("status_map:\n  A: in-use\n", ("m.yaml:1:", "no 'columns' section")),
    ("", ("m.yaml:1:", "no 'columns' section")),
    ("- serial\n- status\n", ("m.yaml:1:", "must be a mapping")),
    ("columns: [serial, status]\n", ("m.yaml:1:", "columns must be a mapping")),
    ("columns:\n  serial: SN\n  serial: Serial\n", ("m.yaml:3:", 'duplicate key "serial"', "first on line 2")),
    ("columns:\n  serial: ''\n", ("m.yaml:2:", "columns.serial must be non-empty text")),
    ("columns:\n  mac: []\n", ("m.yaml:2:", "lists no column")),
    ("columns:\n  serial: {a: b}\n", ("m.yaml:2:", "must be non-empty text")),
    ("columns:\n  serial: SN\n   status: [unclosed\n", ("m.yaml:3:", "not valid YAML")),
    ('{"columns": {"serial": "SN",}', ("m.json:1:", "not valid JSON")),
])
def test_bad_mapping_is_one_clear_line(text: str, parts: tuple[str, ...]) -> None:
    source = "m.json" if text.startswith("{") else "m.yaml"
    with pytest.raises(RegisterError) as info:
        parse_mapping(text, source)
    message = str(info.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, message


def test_unreadable_and_non_utf8_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(RegisterError, match=r"nope\.yaml:1: cannot read mapping file"):
        load_mapping(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"columns:\n  serial: S\xe9rie\n")
    with pytest.raises(RegisterError, match=r"bad\.yaml:2: mapping file is not UTF-8"):
        load_mapping(bad)

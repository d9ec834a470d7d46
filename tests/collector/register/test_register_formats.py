"""Every supported register format, read from realistic fixtures, checked field by field.

Fixtures live in tests/data/register/; each expectation below is what a person reading the file
would say the row means, including the physical line it starts on.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from collector.domain.model import RecordedAsset, StatusClass
from collector.register import load_mapping, parse_register

DATA = Path(__file__).resolve().parents[2] / "data" / "register"

IN_USE, IN_STOCK, RETIRED, LOST = StatusClass.IN_USE, StatusClass.IN_STOCK, StatusClass.RETIRED, StatusClass.LOST

# (fixture, format, mapping file or None, {record_key: {field: expected}})
CASES: list[tuple[str, str, str | None, dict[str, dict[str, Any]]]] = [
    ("snipeit_import_sample.csv", "snipeit", None, {
        "NC-1001": {"line": 2, "status_class": IN_USE, "assigned_to": "Bonnie Nelson", "hostname": "fin-lt-101",
                    "serial": "5CG1111AAA", "model": "Latitude 5420", "manufacturer": "Dell",
                    "category": "Laptops", "location": "Finance", "purchase_date": date(2021, 4, 5)},
        # Multi-line quoted Notes: the row starts on line 3 and ends on line 4.
        "NC-1002": {"line": 3, "status_class": IN_STOCK, "assigned_to": "", "serial": "5CG1111AAB",
                    "extra.notes": "Spare for new starters.\nCharger in drawer 3."},
        "NC-1003": {"line": 5, "status_class": IN_USE, "hostname": "", "name": "Judith's MacBook"},
        "NC-1004": {"line": 6, "status_class": IN_STOCK, "serial": "",
                    "extra.serial_as_recorded": "To be filled by O.E.M."},
        "NC-1005": {"line": 7, "status_class": RETIRED, "serial": "8XK2QH2"},
        "NC-1006": {"line": 8, "status_class": LOST},
        "NC-1007": {"line": 9, "status_class": RETIRED, "extra.notes": 'Screen cracked, "not worth fixing"'},
        "NC-1008": {"line": 10, "status_class": IN_STOCK, "status": "Pending"},
    }),
    ("snipeit_custom_report.csv", "snipeit", None, {
        "NC-0201": {"line": 2, "status_class": IN_USE, "assigned_to": "Maria Lopez", "hostname": "fin-lt-014",
                    "extra.fqdn": "fin-lt-014.corp.example.com", "serial": "5CG1234ABC",
                    "macs": ("00:1b:21:0a:02:01", "3c:22:fb:0a:02:11"), "ips": ("192.0.2.21",),
                    "purchase_date": date(2022, 3, 14), "extra.model_number": "P137G",
                    "extra.employee_number": "E1042", "status": "Ready to Deploy (deployed)"},
        "NC-0202": {"line": 3, "status_class": IN_USE, "assigned_to": "John Doe",
                    "macs": ("00:1e:c9:0a:02:02",), "purchase_date": date(2019, 12, 1)},
        "NC-0203": {"line": 4, "status_class": IN_STOCK, "macs": ("a4:bb:6d:0a:02:03",),
                    "purchase_date": date(2020, 6, 30)},
        # CRLF inside a quoted Notes field: row 5 spans lines 5-6.
        "NC-0204": {"line": 5, "status_class": IN_STOCK, "purchase_date": None, "macs": ()},
        "NC-0205": {"line": 7, "status_class": RETIRED, "macs": ("00:50:56:0a:02:05",),
                    "purchase_date": date(2018, 1, 2)},
        "NC-0206": {"line": 8, "status_class": LOST, "serial": "",
                    "macs": ("00:0c:29:0a:02:06", "00:0c:29:0a:02:16")},
        "NC-0207": {"line": 9, "status_class": IN_STOCK, "macs": ()},
    }),
    ("snipeit_api.json", "snipeit", None, {
        "NC-0301": {"line": 4, "status_class": IN_USE, "assigned_to": "Maria Lopez", "location": "Finance",
                    "macs": ("00:1b:21:0a:05:01",), "model": "Latitude 5420",
                    "purchase_date": date(2022, 3, 14)},
        "NC-0302": {"line": 19, "status_class": IN_STOCK, "assigned_to": "", "macs": ()},
    }),
    ("netbox_import.csv", "netbox", None, {
        "NB-0001": {"line": 2, "status_class": IN_USE, "hostname": "core-sw-01", "ips": ("192.0.2.2",),
                    "model": "C9300-48P", "manufacturer": "Cisco", "category": "Core Switch",
                    "location": "HQ / Server Room / R01", "extra.platform": "ios-xe", "extra.tenant": "IT"},
        "NB-0002": {"line": 3, "status_class": IN_USE, "ips": ("192.0.2.1",)},
        "FJC2345Z0QQ": {"line": 4, "status_class": IN_STOCK, "asset_tag": ""},  # no tag: keyed by serial
        "NB-0004": {"line": 5, "status_class": IN_STOCK, "status": "offline", "ips": ("198.51.100.14",)},
        "NB-0005": {"line": 6, "status_class": RETIRED},
        "NB-0006": {"line": 7, "status_class": IN_STOCK},
        "NB-0007": {"line": 8, "status_class": RETIRED},
        "NB-0008": {"line": 9, "status_class": IN_STOCK},
    }),
    ("netbox_export.csv", "netbox", None, {
        "NB-0001": {"line": 2, "status_class": IN_USE, "hostname": "core-sw-01",
                    "extra.fqdn": "core-sw-01.corp.example.com", "ips": ("192.0.2.2", "2001:db8::2"),
                    "model": "C9300-48P", "serial": "FOC2233X0AB", "extra.tags": "core,critical"},
        "NB-0004": {"line": 3, "status_class": IN_STOCK, "ips": ("198.51.100.14",),
                    "extra.oob_ip": "198.51.100.114/24"},
        "NB-0005": {"line": 4, "status_class": RETIRED},
        "ap-3f-01": {"line": 5, "status_class": IN_STOCK, "serial": "", "hostname": "ap-3f-01"},
        "9AB8CD4": {"line": 6, "status_class": IN_STOCK, "name": "Lab Kit 3", "hostname": ""},
    }),
    ("netbox_api.json", "netbox", None, {
        "NB-0001": {"line": 6, "status_class": IN_USE, "status": "active", "hostname": "core-sw-01",
                    "ips": ("192.0.2.2",), "model": "C9300-48P", "manufacturer": "Cisco",
                    "category": "Core Switch", "location": "HQ / Server Room / R01"},
        "FOC2400Y1CD": {"line": 22, "status_class": IN_STOCK, "ips": (), "location": "HQ"},
    }),
    ("generic_inventory.csv", "csv", "generic_mapping.yaml", {
        "IT-100": {"line": 2, "status_class": IN_USE, "hostname": "fin-pc-01", "extra.fqdn": "fin-pc-01.corp.example",
                   "serial": "ABC123", "macs": ("00:1b:21:0a:03:01",), "ips": ("192.0.2.31",),
                   "assigned_to": "M. Lopez", "category": "Workstation", "purchase_date": date(2022, 1, 10)},
        "IT-101": {"line": 3, "status_class": IN_STOCK, "serial": "ABC124", "macs": ("3c:22:fb:0a:03:12",)},
        "IT-102": {"line": 4, "status_class": RETIRED, "serial": "", "extra.Remarks": "end of life"},
        "IT-103": {"line": 5, "status_class": LOST, "status": "Missing"},
    }),
    ("generic_inventory.json", "json", "generic_mapping.json", {
        "A-1": {"line": 2, "status_class": IN_USE, "hostname": "db-01", "serial": "SRV001",
                "macs": ("00:50:56:0a:04:01", "00:50:56:0a:04:11"), "ips": ("198.51.100.41",)},
        "A-2": {"line": 4, "status_class": IN_STOCK, "macs": ()},
        "A-3": {"line": 5, "status_class": RETIRED, "serial": "", "macs": ("00:50:56:0a:04:03",)},
    }),
]


def _get(record: RecordedAsset, name: str) -> Any:
    if name.startswith("extra."):
        return record.extra.get(name.removeprefix("extra."))
    return getattr(record, name)


def _parse(fixture: str, fmt: str, mapping: str | None) -> list[RecordedAsset]:
    return parse_register((DATA / fixture).read_bytes(), fmt, filename=fixture,
                          mapping=load_mapping(DATA / mapping) if mapping else None)


@pytest.mark.parametrize(("fixture", "fmt", "mapping", "expected"), CASES, ids=[c[0] for c in CASES])
def test_fixture_parses_as_expected(fixture: str, fmt: str, mapping: str | None,
                                    expected: dict[str, dict[str, Any]]) -> None:
    records = _parse(fixture, fmt, mapping)
    assert [r.record_key for r in records] == list(expected), "one record per row, in file order"
    by_key = {r.record_key: r for r in records}
    for key, fields in expected.items():
        for name, value in fields.items():
            assert _get(by_key[key], name) == value, f"{fixture} {key} {name}"


@pytest.mark.parametrize(("fixture", "fmt", "mapping"), [c[:3] for c in CASES], ids=[c[0] for c in CASES])
def test_reimport_is_identical(fixture: str, fmt: str, mapping: str | None) -> None:
    """DESIGN.md: imports are repeatable — the same bytes give the same records."""
    assert _parse(fixture, fmt, mapping) == _parse(fixture, fmt, mapping)


def test_generic_csv_accepts_a_json_file_name() -> None:
    """`--format csv` with a .json file reads it as JSON rather than failing on '['."""
    data = (DATA / "generic_inventory.json").read_bytes()
    mapping = load_mapping(DATA / "generic_mapping.json")
    records = parse_register(data, "csv", filename="inventory.json", mapping=mapping)
    assert [r.record_key for r in records] == ["A-1", "A-2", "A-3"]


def test_generic_without_mapping_matches_our_field_names() -> None:
    data = (b"asset_tag,serial,hostname,mac,ip,status\n"
            b"T1,s1,web-01,00:1b:21:0a:06:01,192.0.2.61,in-use\n"
            b"T2,s2,web-02,,,Retired\n")
    records = parse_register(data, "csv", filename="plain.csv")
    assert [(r.record_key, r.serial, r.status_class) for r in records] == [
        ("T1", "S1", IN_USE), ("T2", "S2", RETIRED)]


def test_caller_status_map_overrides_defaults_case_insensitively() -> None:
    data = (b"Asset Tag,Status,Checked Out\n"
            b"A1,Ready to Deploy,\n"
            b"A2,Loaned Out,Jo Bloggs\n"
            b"A3,Pending,\n")
    records = parse_register(data, "snipeit", filename="r.csv", status_map={
        "loaned  out": IN_USE, "READY TO DEPLOY": IN_USE, "pending": RETIRED})
    assert [r.status_class for r in records] == [IN_USE, IN_USE, RETIRED]


def test_mapping_status_map_is_overridden_by_caller() -> None:
    mapping = load_mapping(DATA / "generic_mapping.yaml")
    data = (DATA / "generic_inventory.csv").read_bytes()
    records = parse_register(data, "csv", filename="g.csv", mapping=mapping, status_map={"Spare": RETIRED})
    assert records[1].status_class is RETIRED


@pytest.mark.parametrize(("status", "checkout", "expected"), [
    ("Ready to Deploy", "", IN_STOCK),
    ("Ready to Deploy", "Jane Doe", IN_USE),
    ("ready to deploy", "Jane Doe", IN_USE),
    ("Ready to Deploy (deployable)", "", IN_STOCK),
    ("Ready to Deploy (deployed)", "", IN_USE),
    ("Ready to Deploy (Jane Doe)", "", IN_USE),
    ("Deployed", "", IN_USE),
    ("Deployed (Jane Doe)", "", IN_USE),
    ("Pending", "", IN_STOCK),
    ("Pending (pending)", "", IN_STOCK),
    ("Out for Repair", "Jane Doe", IN_STOCK),
    ("Out for Diagnostics", "", IN_STOCK),
    ("Archived", "", RETIRED),
    ("Archived (archived)", "", RETIRED),
    ("Broken - Not Fixable", "", RETIRED),
    ("Broken - Not Fixable (undeployable)", "", RETIRED),
    ("Lost/Stolen", "", LOST),
    ("Lost / Stolen", "", LOST),
])
def test_snipeit_default_status_table(status: str, checkout: str, expected: StatusClass) -> None:
    data = f'Asset Tag,Status,Assigned To\nA1,"{status}",{checkout}\n'.encode()
    (record,) = parse_register(data, "snipeit", filename="s.csv")
    assert record.status_class is expected
    assert record.status == status


@pytest.mark.parametrize(("status", "expected"), [
    ("active", IN_USE), ("Active", IN_USE), ("planned", IN_STOCK), ("staged", IN_STOCK),
    ("inventory", IN_STOCK), ("offline", IN_STOCK), ("failed", RETIRED), ("decommissioning", RETIRED),
])
def test_netbox_default_status_table(status: str, expected: StatusClass) -> None:
    data = f"name,device_role,status\nsw-1,Access Switch,{status}\n".encode()
    (record,) = parse_register(data, "netbox", filename="n.csv")
    assert record.status_class is expected
    assert record.category == "Access Switch"  # v3's device_role is accepted like v4's role


@pytest.mark.parametrize("header", [
    "Asset Tag,Status", "asset tag,status", "ASSET_TAG,STATUS", " Asset  Tag ,Status Label", "\ufeffAsset Tag,Status",
])
def test_snipeit_headers_are_case_space_and_bom_insensitive(header: str) -> None:
    data = f"{header}\nNC-1,Archived\n".encode()
    (record,) = parse_register(data, "snipeit", filename="h.csv")
    assert (record.asset_tag, record.status_class) == ("NC-1", RETIRED)


def test_semicolon_delimited_excel_export() -> None:
    data = "Asset Tag;Status;Serial\r\nNC-1;Deployed;abc\r\n".encode("utf-8-sig")
    (record,) = parse_register(data, "snipeit", filename="excel.csv")
    assert (record.asset_tag, record.serial) == ("NC-1", "ABC")


def test_utf16_unicode_text_export() -> None:
    data = "Asset Tag\tStatus\tAsset Name\r\nNC-1\tDeployed\tCafé-PC\r\n".encode("utf-16")
    (record,) = parse_register(data, "snipeit", filename="unicode.txt")
    assert (record.asset_tag, record.name) == ("NC-1", "Café-PC")


def test_record_key_falls_back_tag_serial_name_line() -> None:
    data = (b"Asset Tag,Serial,Asset Name,Status\n"
            b"NC-1,S1,n1,Archived\n"
            b",S2,n2,Archived\n"
            b",,n3,Archived\n"
            b",To be filled by O.E.M.,,Archived\n")
    records = parse_register(data, "snipeit", filename="k.csv")
    assert [r.record_key for r in records] == ["NC-1", "S2", "n3", "line-5"]


def test_blank_lines_are_skipped_but_counted() -> None:
    data = b"Asset Tag,Status\n\nNC-1,Archived\n,\n\nNC-2,Pending\n"
    assert [(r.record_key, r.line) for r in parse_register(data, "snipeit", filename="b.csv")] == [
        ("NC-1", 3), ("NC-2", 6)]

"""Cell-level normalisation: MACs, IPs, dates, serials, host names."""

from __future__ import annotations

from datetime import date

import pytest

from collector.register._common import RowError, parse_date, parse_hostname, parse_ips, parse_macs, parse_serial


@pytest.mark.parametrize(("cell", "expected"), [
    ("00:1B:21:0A:00:01", ["00:1b:21:0a:00:01"]),
    ("00-1b-21-0a-00-01", ["00:1b:21:0a:00:01"]),
    ("001b.210a.0001", ["00:1b:21:0a:00:01"]),
    ("001B210A0001", ["00:1b:21:0a:00:01"]),
    ("0:1b:21:a:0:1", ["00:1b:21:0a:00:01"]),
    (" 00:1b:21:0a:00:01 , 3c:22:fb:0a:00:02 ", ["00:1b:21:0a:00:01", "3c:22:fb:0a:00:02"]),
    ("00:1b:21:0a:00:01;3c-22-fb-0a-00-02", ["00:1b:21:0a:00:01", "3c:22:fb:0a:00:02"]),
    ("00:1b:21:0a:00:01 3c22.fb0a.0002\n001e c9", None),
    ("00:1b:21:0a:00:01 00:1B:21:0A:00:01", ["00:1b:21:0a:00:01"]),
    ("02:42:ac:11:00:02", ["02:42:ac:11:00:02"]),  # locally administered: kept; identity decides
    ("00:00:00:00:00:00", []),
    ("FF:FF:FF:FF:FF:FF", []),
    ("N/A", []),
    ("", []),
    ("00:1b:21:0a:00", None),
    ("00:1b:21:0a:00:01:02", None),
    ("00:1b-21:0a:00:01", None),  # mixed separators
    ("001b210a00zz", None),
])
def test_parse_macs(cell: str, expected: list[str] | None) -> None:
    if expected is None:
        with pytest.raises(RowError, match="bad MAC"):
            parse_macs(cell)
    else:
        assert parse_macs(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("192.0.2.10", ["192.0.2.10"]),
    ("192.0.2.10/24", ["192.0.2.10"]),
    ("2001:DB8:0::1/64", ["2001:db8::1"]),
    ("192.0.2.10, 198.51.100.7", ["192.0.2.10", "198.51.100.7"]),
    ("-", []),
    ("192.0.2", None),
    ("host.example", None),
])
def test_parse_ips(cell: str, expected: list[str] | None) -> None:
    if expected is None:
        with pytest.raises(RowError, match="bad IP address"):
            parse_ips(cell)
    else:
        assert parse_ips(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("2022-03-14", date(2022, 3, 14)),
    ("2022-03-14 00:00:00", date(2022, 3, 14)),
    ("2022-03-14T09:12:00Z", date(2022, 3, 14)),
    ("3/14/22", date(2022, 3, 14)),
    ("3/14/2022", date(2022, 3, 14)),
    ("03/04/2022", date(2022, 3, 4)),  # month first, as Snipe-IT/Excel (US) write it
    ("3/14/22 9:12", date(2022, 3, 14)),
    ("3/14/22 9:12 PM", date(2022, 3, 14)),
    ("1/2/69", date(1969, 1, 2)),
    ("1/2/68", date(2068, 1, 2)),
    ("", None),
    ("n/a", None),
    ("14/3/2022", "bad"),
    ("2022-13-01", "bad"),
    ("March 14, 2022", "bad"),
    ("2022-03-14 junk", "bad"),
])
def test_parse_date(cell: str, expected: date | str | None) -> None:
    if expected == "bad":
        with pytest.raises(RowError, match="bad date"):
            parse_date(cell)
    else:
        assert parse_date(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    (" 5cg1234abc ", "5CG1234ABC"),
    ("To be filled by O.E.M.", ""),
    ("Default string", ""),
    ("0", ""),
    ("N/A", ""),
    ("none", ""),
    ("System Serial Number", ""),
    ("000000000", ""),
    ("VMware-42 1a 6b", "VMWARE-42 1A 6B"),
])
def test_parse_serial(cell: str, expected: str) -> None:
    assert parse_serial(cell) == expected


@pytest.mark.parametrize(("cell", "strict", "expected"), [
    ("FIN-LT-014", True, ("fin-lt-014", "")),
    ("fin-lt-014.corp.example.com.", True, ("fin-lt-014", "fin-lt-014.corp.example.com")),
    ("WIN_BUILD01", True, ("win_build01", "")),
    ("", True, ("", "")),
    ("Judith's MacBook", False, ("", "")),
    ("192.0.2.5", False, ("", "")),
    ("localhost", True, ("", "")),  # a name every machine has is no name at all
])
def test_parse_hostname(cell: str, strict: bool, expected: tuple[str, str]) -> None:
    assert parse_hostname(cell, strict=strict) == expected


@pytest.mark.parametrize("cell", ["John's PC", "192.0.2.5", "a..b", "-lead-dash"])
def test_parse_hostname_strict_refuses_non_names(cell: str) -> None:
    with pytest.raises(RowError, match="host name"):
        parse_hostname(cell, strict=True)

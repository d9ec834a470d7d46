"""Column-wise decoding and validation of software lists (collector/wire/codec.py, collector/wire/validate.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from netcensus.v1 import report_pb2

from collector.domain.model import InstalledItem, SoftwareColumns
from collector.wire.codec import InvalidReport, decode_report

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _snapshot(items: list[dict[str, str]]) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="s-1", seq=1)
    r.created_at.FromDatetime(NOW - timedelta(minutes=1))
    r.host_snapshot.facts.hostname = "pc-1"
    for item in items:
        r.host_snapshot.software.add(**item)
    r.host_snapshot.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK)
    return r


def _items(r: report_pb2.Report) -> SoftwareColumns:
    return decode_report(r, NOW).inventories[0].items


def test_columns_are_stripped_lowercased_and_keep_row_order() -> None:
    r = _snapshot([{"name": " bash ", "version": "5.2", "arch": "amd64", "source": "DEB", "vendor": "Debian"},
                   {"name": "curl", "version": "7.88\t", "arch": "amd64", "source": "deb", "vendor": "Debian"}])
    r.host_snapshot.software[1].installed_at.FromDatetime(NOW - timedelta(days=2))
    cols = _items(r)
    assert cols.rows() == [
        InstalledItem("bash", "5.2", "amd64", "deb", vendor="Debian"),
        InstalledItem("curl", "7.88", "amd64", "deb", vendor="Debian", installed_at=NOW - timedelta(days=2)),
    ]
    assert SoftwareColumns.from_items(cols.rows()) == cols


def test_constant_columns_are_checked_once_and_still_stripped() -> None:
    cols = _items(_snapshot([{"name": f"p{j}", "version": "1", "arch": " all ", "source": "deb"} for j in range(5)]))
    assert cols.arch == ("all",) * 5 and cols.purl == ("",) * 5


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("name", "a\x00b", "software[2].name: contains a NUL character"),
    ("vendor", "v" * 4097, "software[2].vendor: longer than 4096 characters"),
    ("name", "  ", "software[2].name is empty"),
    ("source", "", "software[2] (x) has no source"),
    ("arch", "\x00", "software[2].arch: contains a NUL character"),
])
def test_bad_field_names_the_row(field: str, value: str, reason: str) -> None:
    items = [{"name": f"p{j}", "version": "1", "arch": "amd64", "source": "deb"} for j in range(4)]
    items[2] = {**items[2], "name": "x", field: value}
    with pytest.raises(InvalidReport) as err:
        _items(_snapshot(items))
    assert str(err.value) == reason


def test_constant_bad_column_names_row_zero() -> None:
    items = [{"name": f"p{j}", "version": "1", "arch": "a\x00", "source": "deb"} for j in range(3)]
    with pytest.raises(InvalidReport, match=r"software\[0\]\.arch: contains a NUL"):
        _items(_snapshot(items))


def test_installed_at_out_of_range_names_the_row() -> None:
    r = _snapshot([{"name": f"p{j}", "version": "1", "arch": "amd64", "source": "deb"} for j in range(3)])
    r.host_snapshot.software[1].installed_at.seconds = 100
    with pytest.raises(InvalidReport, match=r"software\[1\]\.installed_at: timestamp 100s since 1970 is implausible"):
        _items(r)


def test_delta_lists_decode_separately_with_their_own_names() -> None:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="s-1", seq=2)
    d = r.host_delta
    d.base_report_id = str(uuid.uuid4()).upper()
    d.added.add(name="zsh", version="5.9", arch="amd64", source="deb")
    d.changed.add(name="curl", version="8.0", arch="amd64", source="deb")
    d.removed.add(name="vim", version="9.0", arch="amd64", source="deb")
    d.removed.add(name="a\x00", version="9.0", arch="amd64", source="deb")
    with pytest.raises(InvalidReport, match=r"removed\[1\]\.name: contains a NUL"):
        decode_report(r, NOW)
    del d.removed[1]
    inv = decode_report(r, NOW).inventories[0]
    assert inv.is_delta and inv.base_report_id == d.base_report_id.lower()
    assert (inv.items.name, inv.changed.name, inv.removed.name) == (("zsh",), ("curl",), ("vim",))


def test_nested_fields_are_named_by_their_path() -> None:
    r = _snapshot([{"name": "a", "version": "1", "arch": "amd64", "source": "deb"}])
    nic = r.host_snapshot.facts.interfaces.add(name="eth0")
    nic.addresses.extend(["192.0.2.1/24", "x" * 4097])
    with pytest.raises(InvalidReport) as err:
        decode_report(r, NOW)
    assert str(err.value) == "host_snapshot.facts.interfaces[0].addresses[1]: longer than 4096 characters"
    del nic.addresses[1]
    r.host_snapshot.collectors[0].state = 9
    with pytest.raises(InvalidReport) as err:
        decode_report(r, NOW)
    assert str(err.value) == "host_snapshot.collectors[0].state: 9 is not a known CollectorState"
    r.host_snapshot.collectors[0].state = report_pb2.COLLECTOR_STATE_OK
    r.host_snapshot.collectors[0].duration_ms = 2**31
    with pytest.raises(InvalidReport) as err:
        decode_report(r, NOW)
    assert str(err.value) == "host_snapshot.collectors[0].duration_ms: 2147483648 is larger than 2147483647"

"""PackedSoftware blocks (report.proto): the agent's encoder, the collector's column decoder, and
their agreement with the per-item SoftwareItem path (collector/wire/packed.py, agent/transport/encode.py)."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netcensus.v1 import report_pb2

import collector.wire.packed
from agent.facts.model import SoftwareItem
from agent.transport.encode import pack_software
from collector.domain.model import ArrowSoftware, InstalledItem, PackedColumns, SoftwareColumns
from collector.store.duckdb import Store
from collector.wire.codec import InvalidReport, decode_report

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


AS_SENT = collector.wire.packed._as_sent


@pytest.fixture(params=["bytes", "python", "arrow"], autouse=True)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs through the three decoders: blocks kept as sent where they may be (bytes),
    and with that off, short lists (Python strings) and long ones (Arrow)."""
    if request.param != "bytes":
        monkeypatch.setattr(collector.wire.packed, "_as_sent", lambda *_: None)
        monkeypatch.setattr(collector.wire.packed, "ARROW_FROM", 10**9 if request.param == "python" else 0)
    return str(request.param)
ITEM_FIELDS = ("name", "version", "vendor", "arch", "source", "source_package", "purl")


def _item(name: str, version: str = "1.0", *, source: str = "deb", arch: str = "amd64", vendor: str = "",
          source_package: str = "", purl: str = "", installed_at: datetime | None = None) -> SoftwareItem:
    return SoftwareItem(name=name, version=version, vendor=vendor, arch=arch, source=source,
                        source_package=source_package, purl=purl, installed_at=installed_at)


def _report(body: str = "host_snapshot") -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="s-1", seq=1)
    r.created_at.FromDatetime(NOW - timedelta(minutes=1))
    host = getattr(r, body)
    host.facts.hostname = "pc-1"
    host.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK)
    return r


def _packed(items: list[SoftwareItem]) -> report_pb2.Report:
    r = _report()
    pack_software(r.host_snapshot.software_packed, items)
    return r


def _per_item(items: list[SoftwareItem]) -> report_pb2.Report:
    r = _report()
    for item in items:
        msg = r.host_snapshot.software.add(**{f: getattr(item, f) for f in ITEM_FIELDS})
        if item.installed_at is not None:
            msg.installed_at.FromDatetime(item.installed_at)
    return r


def _rows(r: report_pb2.Report) -> list[InstalledItem]:
    return decode_report(r, NOW).inventories[0].items.rows()


def test_packed_list_decodes_to_columns_stripped_and_lowercased(path: str) -> None:
    when = NOW - timedelta(days=3)
    items = [_item(" bash ", "5.2", source="DEB", vendor="Debian", installed_at=when),
             _item("curl", "7.88\t", purl="pkg:deb/debian/curl@7.88"), _item("zstd-€", "1.5")]
    decoded = decode_report(_packed(items), NOW).inventories[0].items
    assert isinstance(decoded, ArrowSoftware if path == "arrow" else SoftwareColumns) and len(decoded) == 3
    assert decoded.rows() == [
        InstalledItem("bash", "5.2", "amd64", "deb", vendor="Debian", installed_at=when),
        InstalledItem("curl", "7.88", "amd64", "deb", purl="pkg:deb/debian/curl@7.88"),
        InstalledItem("zstd-€", "1.5", "amd64", "deb"),
    ]


def test_fields_empty_on_every_row_are_left_unset_on_the_wire() -> None:
    msg = report_pb2.PackedSoftware()
    pack_software(msg, [_item("a"), _item("b")])
    assert not msg.HasField("purl") and not msg.HasField("vendor") and not msg.installed_at_us
    assert msg.name.data == b"ab" and msg.name.lengths == struct.pack("<2I", 1, 1)


def test_both_forms_in_one_report_count_together() -> None:
    r = _per_item([_item("from-items")])
    pack_software(r.host_snapshot.software_packed, [_item("from-block")])
    assert sorted(i.name for i in _rows(r)) == ["from-block", "from-items"]


def test_delta_lists_may_be_packed() -> None:
    r = _report("host_delta")
    r.host_delta.base_report_id = str(uuid.uuid4())
    pack_software(r.host_delta.added_packed, [_item("new")])
    pack_software(r.host_delta.removed_packed, [_item("old")])
    pack_software(r.host_delta.changed_packed, [_item("bumped", "2.0")])
    inv = decode_report(r, NOW).inventories[0]
    assert [i.name for i in inv.items.rows()] == ["new"]
    assert [i.name for i in inv.removed.rows()] == ["old"]
    assert [(i.name, i.version) for i in inv.changed.rows()] == [("bumped", "2.0")]


def _block(**columns: tuple[bytes, bytes]) -> report_pb2.Report:
    r = _report()
    block = r.host_snapshot.software_packed
    block.count = 3
    for field in ("name", "source"):
        getattr(block, field).data = b"abc" if field == "name" else b"debdebdeb"
        getattr(block, field).lengths = struct.pack("<3I", *((1, 1, 1) if field == "name" else (3, 3, 3)))
    for field, (data, lengths) in columns.items():
        getattr(block, field).data = data
        getattr(block, field).lengths = lengths
    return r


@pytest.mark.parametrize(("columns", "reason"), [
    ({"name": (b"abc", struct.pack("<2I", 1, 2))},
     "software_packed.name: 8 bytes of lengths for 3 rows (need 4 per row)"),
    ({"name": (b"abcd", struct.pack("<3I", 1, 1, 1))}, "software_packed.name: lengths add up to 3 bytes, data has 4"),
    ({"vendor": (b"ok\xff\xfe", struct.pack("<3I", 1, 1, 2))}, "software_packed[2].vendor: not valid UTF-8"),
    ({"version": (b"1\x0023", struct.pack("<3I", 1, 2, 1))}, "software_packed[1].version: contains a NUL character"),
    ({"purl": (b"p" * 4097, struct.pack("<3I", 0, 4097, 0))},
     "software_packed[1].purl: longer than 4096 characters"),
    ({"name": (b"a  c", struct.pack("<3I", 1, 2, 1))}, "software_packed[1].name is empty"),
    ({"source": (b"debdeb", struct.pack("<3I", 3, 0, 3))}, "software_packed[1] (b) has no source"),
])
def test_bad_block_is_refused_naming_field_and_row(columns: dict[str, tuple[bytes, bytes]], reason: str) -> None:
    with pytest.raises(InvalidReport) as err:
        decode_report(_block(**columns), NOW)
    assert str(err.value) == reason


def test_long_multibyte_values_are_bounded_by_characters_not_bytes() -> None:
    value = "é" * 4096  # 8,192 bytes, 4,096 characters: allowed
    assert _rows(_packed([_item("a", vendor=value)]))[0].vendor == value


def test_install_times_are_bounded_like_timestamps() -> None:
    r = _block()
    r.host_snapshot.software_packed.installed_at_us = struct.pack("<3q", 0, 1_000_000, 0)
    with pytest.raises(InvalidReport, match=r"software_packed\[1\].installed_at: timestamp 1s since 1970"):
        decode_report(r, NOW)
    r.host_snapshot.software_packed.installed_at_us = b"\x00" * 7
    with pytest.raises(InvalidReport, match="7 bytes for 3 rows"):
        decode_report(r, NOW)


def test_count_is_bounded() -> None:
    r = _report()
    r.host_snapshot.software_packed.count = 200_001
    with pytest.raises(InvalidReport, match="more than 200000 software items"):
        decode_report(r, NOW)


# Any text protobuf can carry but NUL (refused in both forms), with the whitespace the two forms
# must strip alike (str.strip and Arrow's utf8_trim_whitespace) well represented.
_text = st.text(st.one_of(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                          st.sampled_from(" \t\n\x0b\x1c\x85\xa0\u2028\u3000\u200b\ufeff")), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_text.filter(str.strip), _text, _text, st.sampled_from(["deb", "RPM", " pip "]),
                          st.one_of(st.none(), st.integers(0, 10**8))), max_size=8))
def test_packed_and_per_item_forms_decode_to_the_same_rows(rows: list[tuple[str, str, str, str, int | None]]) -> None:
    items = [_item(name, version, vendor=vendor, source=source,
                   installed_at=None if t is None else NOW - timedelta(seconds=t))
             for name, version, vendor, source, t in rows]
    per_item = decode_report(_per_item(items), NOW).inventories[0].items
    packed = decode_report(_packed(items), NOW).inventories[0].items
    assert packed.rows() == per_item.rows()


# ASCII text, where a short list may keep its wire bytes: edges with every character str.strip
# removes, inner spaces (vendor names), and the source in any case.
_ascii = st.text(st.one_of(st.characters(min_codepoint=1, max_codepoint=127),
                           st.sampled_from(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")), max_size=10)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_ascii.filter(str.strip), _ascii, _ascii, st.sampled_from(["deb", "RPM", "Pip", " pip"])),
                max_size=8))
def test_ascii_lists_keep_their_bytes_only_when_nothing_changes(
        rows: list[tuple[str, str, str, str]]) -> None:
    items = [_item(name, version, vendor=vendor, source=source) for name, version, vendor, source in rows]
    per_item = decode_report(_per_item(items), NOW).inventories[0].items
    packed = decode_report(_packed(items), NOW).inventories[0].items
    assert packed.rows() == per_item.rows()
    if rows and collector.wire.packed._as_sent is AS_SENT:
        as_sent = all(v == v.strip() for row in rows for v in row)
        assert isinstance(packed, PackedColumns) == as_sent


def test_clean_list_is_passed_on_as_its_wire_bytes(path: str) -> None:
    when = NOW - timedelta(days=1)
    items = [_item("bash", "5.2", source="DEB", vendor="Debian Bash Maintainers", installed_at=when),
             _item("curl", "7.88", purl="pkg:deb/debian/curl@7.88")]
    decoded = decode_report(_packed(items), NOW).inventories[0].items
    assert isinstance(decoded, {"bytes": PackedColumns, "python": SoftwareColumns, "arrow": ArrowSoftware}[path])
    assert decoded.rows() == [
        InstalledItem("bash", "5.2", "amd64", "deb", vendor="Debian Bash Maintainers", installed_at=when),
        InstalledItem("curl", "7.88", "amd64", "deb", purl="pkg:deb/debian/curl@7.88"),
    ]


def test_store_keeps_the_same_rows_from_either_form(tmp_path: Path) -> None:
    items = [_item(f"pkg-{j}", f"1.{j}", vendor="Debian" if j % 2 else "") for j in range(50)]
    stored = []
    for n, make in enumerate((_per_item, _packed)):
        store = Store.open(tmp_path / f"{n}.duckdb")
        try:
            store.store_reports([decode_report(make(items), NOW)], NOW)
            stored.append(store.query("SELECT name, version, arch, pkg_source, vendor FROM software_installs "
                                      "ORDER BY name"))
        finally:
            store.close()
    assert stored[0] == stored[1] and len(stored[0]) == 50


def test_columns_and_packed_lists_mix_in_one_store_batch(tmp_path: Path) -> None:
    a = _per_item([_item("only-items")])
    b = _packed([_item("only-packed-1"), _item("only-packed-2")])
    b.source_id = "s-2"
    store = Store.open(tmp_path / "mix.duckdb")
    try:
        store.store_reports([decode_report(a, NOW), decode_report(b, NOW)], NOW)
        rows = store.query("SELECT subject, name FROM software_installs ORDER BY name")
    finally:
        store.close()
    assert rows == [{"subject": "agent:s-1", "name": "only-items"}, {"subject": "agent:s-2", "name": "only-packed-1"},
                    {"subject": "agent:s-2", "name": "only-packed-2"}]


def test_per_item_lists_stay_tuple_columns() -> None:
    assert isinstance(decode_report(_per_item([_item("a")]), NOW).inventories[0].items, SoftwareColumns)


def test_one_value_throughout_is_checked_and_stripped_once() -> None:
    rows = _rows(_packed([_item(f"p{j}", arch=" all ", vendor="Debian") for j in range(5)]))
    assert {(r.arch, r.vendor) for r in rows} == {("all", "Debian")} and len(rows) == 5
    r = _block(vendor=(b"\xff\xfe" * 3, struct.pack("<3I", 2, 2, 2)))
    with pytest.raises(InvalidReport, match=r"software_packed\[0\].vendor: not valid UTF-8"):
        decode_report(r, NOW)


def _long(vendor: Callable[[int], str], rows: int = 600) -> list[SoftwareItem]:
    """A list long enough for the Arrow path, with inner spaces and empty values among the vendors."""
    return [_item(f"pkg-{j}", f"1.{j}", vendor=vendor(j),
                  installed_at=NOW - timedelta(days=j) if j % 3 else None) for j in range(rows)]


def _vendor(j: int) -> str:
    return "" if j in (0, 17, 599) else f"Team {j} <team@example.org>"


def test_long_clean_list_with_gaps_is_kept_as_sent(path: str) -> None:
    items = _long(_vendor)
    decoded = decode_report(_packed(items), NOW).inventories[0].items
    assert isinstance(decoded, {"bytes": PackedColumns, "python": SoftwareColumns, "arrow": ArrowSoftware}[path])
    assert decoded.rows() == decode_report(_per_item(items), NOW).inventories[0].items.rows()


@pytest.mark.parametrize("row", [0, 1, 300, 598, 599])
@pytest.mark.parametrize("pad", [" {}", "{}\t", "\x1f{}", "{}\n"])
def test_whitespace_at_either_edge_of_any_row_is_stripped(row: int, pad: str) -> None:
    items = _long(lambda j: pad.format(_vendor(j) or "x") if j == row else _vendor(j))
    decoded = decode_report(_packed(items), NOW).inventories[0].items
    assert not isinstance(decoded, PackedColumns)
    assert decoded.rows() == decode_report(_per_item(items), NOW).inventories[0].items.rows()
    assert decoded.rows()[row].vendor == (_vendor(row) or "x")


def test_length_bytes_that_look_like_an_empty_name_are_checked_properly() -> None:
    # lengths 1 then 256 pack as 01 00 00 00 00 01 00 00: four zero bytes, but no empty name.
    items = [_item("a"), _item("n" * 256), _item("b")]
    assert [len(r.name) for r in _rows(_packed(items))] == [1, 256, 1]


@pytest.mark.parametrize(("size", "ok"), [(4095, True), (4096, True), (4097, False)])
def test_longest_values_are_bounded_as_sent_too(size: int, ok: bool) -> None:
    r = _packed([_item("a"), _item("p" * size), _item("b")])
    if ok:
        assert [len(row.name) for row in _rows(r)] == [1, size, 1]
    else:
        with pytest.raises(InvalidReport, match=r"software_packed\[1\].name: longer than 4096 characters"):
            decode_report(r, NOW)

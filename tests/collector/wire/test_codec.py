"""Decoding and validation of software lists (collector/wire/codec.py, collector/wire/validate.py).

A software list has one wire form (repeated SoftwareItem) and one decoder; the cases below pin what
it keeps, strips and refuses, and that a sender of the retired PackedSoftware form is told what to
send instead.
"""

from __future__ import annotations

import pickle
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from google.protobuf.message import DecodeError
from hypothesis import given, settings
from hypothesis import strategies as st
from netcensus.v1 import report_pb2

from agent.facts.model import CollectorState, CollectorStatus, HostFacts, Inventory, SoftwareItem
from agent.transport.delta import Delta
from agent.transport.encode import encode_delta, encode_snapshot
from collector.domain.model import SoftwareColumns
from collector.store.duckdb import Store
from collector.wire.codec import InvalidReport, decode_report
from collector.wire.validate import RETIRED_PACKED_REASON
from tests.collector.serve.helpers import with_packed

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Row(NamedTuple):
    """One decoded item, for comparing lists in tests."""

    name: str
    version: str
    arch: str
    pkg_source: str
    vendor: str = ""
    source_package: str = ""
    purl: str = ""
    installed_at: datetime | None = None


def rows(cols: SoftwareColumns) -> list[Row]:
    """The columns one tuple per row, install times as datetimes."""
    return [Row(n, v, a, s, vd, sp, pu, None if t is None else _EPOCH + timedelta(microseconds=t))
            for n, v, a, s, vd, sp, pu, t in zip(cols.name, cols.version, cols.arch, cols.pkg_source, cols.vendor,
                                                 cols.source_package, cols.purl, cols.installed_at, strict=True)]


def _snapshot(items: list[dict[str, str]]) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="s-1", seq=1)
    r.created_at.FromDatetime(NOW - timedelta(minutes=1))
    r.host_snapshot.facts.hostname = "pc-1"
    for item in items:
        r.host_snapshot.software.add(**item)
    r.host_snapshot.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK)
    return r


def _plain(n: int, **fields: str) -> list[dict[str, str]]:
    return [{"name": f"p{j}", "version": "1", "arch": "amd64", "source": "deb", **fields} for j in range(n)]


def _items(r: report_pb2.Report) -> SoftwareColumns:
    return decode_report(r, NOW).inventories[0].items


def test_columns_are_stripped_lowercased_and_keep_row_order() -> None:
    r = _snapshot([{"name": " bash ", "version": "5.2", "arch": "amd64", "source": "DEB", "vendor": "Debian"},
                   {"name": "curl", "version": "7.88\t", "arch": "amd64", "source": "deb", "vendor": "Debian",
                    "purl": "pkg:deb/debian/curl@7.88"},
                   {"name": "zstd-€", "version": "1.5", "arch": "amd64", "source": " Deb "}])
    r.host_snapshot.software[1].installed_at.FromDatetime(NOW - timedelta(days=2))
    assert rows(_items(r)) == [
        Row("bash", "5.2", "amd64", "deb", vendor="Debian"),
        Row("curl", "7.88", "amd64", "deb", vendor="Debian", purl="pkg:deb/debian/curl@7.88",
            installed_at=NOW - timedelta(days=2)),
        Row("zstd-€", "1.5", "amd64", "deb"),
    ]


def test_constant_columns_are_checked_once_and_still_stripped() -> None:
    cols = _items(_snapshot(_plain(5, arch=" all ", vendor="Debian")))
    assert cols.arch == ("all",) * 5 and cols.vendor == ("Debian",) * 5 and cols.purl == ("",) * 5
    assert len({id(v) for v in cols.vendor}) == 1  # one object throughout, so pickled once


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("name", "a\x00b", "software[2].name: contains a NUL character"),
    ("version", "1\x002", "software[2].version: contains a NUL character"),
    ("vendor", "v" * 4097, "software[2].vendor: longer than 4096 characters"),
    ("purl", "p" * 4097, "software[2].purl: longer than 4096 characters"),
    ("name", "  ", "software[2].name is empty"),
    ("source", "", "software[2] (x) has no source"),
    ("arch", "\x00", "software[2].arch: contains a NUL character"),
])
def test_bad_field_names_the_row(field: str, value: str, reason: str) -> None:
    items = _plain(4)
    items[2] = {**items[2], "name": "x", field: value}
    with pytest.raises(InvalidReport) as err:
        _items(_snapshot(items))
    assert str(err.value) == reason


def test_empty_name_is_refused_naming_the_row() -> None:
    items = _plain(3)
    items[1]["name"] = ""
    with pytest.raises(InvalidReport, match=r"^software\[1\]\.name is empty$"):
        _items(_snapshot(items))


def test_constant_bad_column_names_row_zero() -> None:
    with pytest.raises(InvalidReport, match=r"software\[0\]\.arch: contains a NUL"):
        _items(_snapshot(_plain(3, arch="a\x00")))


def test_invalid_utf8_does_not_parse() -> None:
    """Protobuf refuses invalid UTF-8 in a string field before the codec sees it (the stream then
    ends with INVALID_ARGUMENT, tests/collector/serve/test_input.py)."""
    r = _snapshot(_plain(3, vendor="okay"))
    data = r.SerializeToString()
    assert data.count(b"okay") == 3
    bad = data.replace(b"okay", b"o\xff\xfey", 1)
    with pytest.raises(DecodeError):
        report_pb2.Report.FromString(bad)


def test_long_multibyte_values_are_bounded_by_characters_not_bytes() -> None:
    value = "é" * 4096  # 8,192 bytes, 4,096 characters: allowed
    assert _items(_snapshot(_plain(1, vendor=value))).vendor == (value,)


@pytest.mark.parametrize(("size", "ok"), [(4095, True), (4096, True), (4097, False)])
def test_longest_values_are_bounded(size: int, ok: bool) -> None:
    items = _plain(3)
    items[1]["name"] = "p" * size
    r = _snapshot(items)
    if ok:
        assert [len(n) for n in _items(r).name] == [2, size, 2]
    else:
        with pytest.raises(InvalidReport, match=r"software\[1\]\.name: longer than 4096 characters"):
            _items(r)


def test_installed_at_out_of_range_names_the_row() -> None:
    r = _snapshot(_plain(3))
    r.host_snapshot.software[1].installed_at.seconds = 100
    with pytest.raises(InvalidReport, match=r"software\[1\]\.installed_at: timestamp 100s since 1970 is implausible"):
        _items(r)
    r.host_snapshot.software[1].installed_at.seconds = int((NOW + timedelta(days=3)).timestamp())
    with pytest.raises(InvalidReport, match=r"software\[1\]\.installed_at: timestamp \d+s since 1970 is implausible"):
        _items(r)


def test_installed_at_keeps_microseconds_and_unset_is_none() -> None:
    r = _snapshot(_plain(3))
    when = NOW - timedelta(days=400, microseconds=7)
    r.host_snapshot.software[1].installed_at.FromDatetime(when)
    assert rows(_items(r))[0].installed_at is None
    assert [row.installed_at for row in rows(_items(r))] == [None, when, None]


def test_count_is_bounded() -> None:
    r = _snapshot([])
    software = r.host_snapshot.software
    item = report_pb2.SoftwareItem(name="p", version="1", arch="amd64", source="deb")
    software.extend([item] * 200_001)
    with pytest.raises(InvalidReport, match=r"^host_snapshot\.software: more than 200000 entries$"):
        decode_report(r, NOW)


def _long(vendor_of: dict[int, str], count: int = 600) -> report_pb2.Report:
    """A long list with inner spaces and empty values among the vendors, install times on some rows."""
    r = _snapshot([{"name": f"pkg-{j}", "version": f"1.{j}", "arch": "amd64", "source": "deb",
                    "vendor": vendor_of.get(j, "" if j in (0, 17, 599) else f"Team {j} <team@example.org>")}
                   for j in range(count)])
    for j in range(1, count, 3):
        r.host_snapshot.software[j].installed_at.FromDatetime(NOW - timedelta(days=j))
    return r


@pytest.mark.parametrize("row", [0, 1, 300, 598, 599])
@pytest.mark.parametrize("pad", [" {}", "{}\t", "\x1f{}", "{}\n"])
def test_whitespace_at_either_edge_of_any_row_is_stripped(row: int, pad: str) -> None:
    plain = rows(_items(_long({})))
    padded = rows(_items(_long({row: pad.format(plain[row].vendor or "x")})))
    assert padded[row].vendor == (plain[row].vendor or "x")
    assert padded[:row] == plain[:row] and padded[row + 1:] == plain[row + 1:]


# Any text protobuf can carry but NUL, with the whitespace str.strip removes well represented.
_text = st.text(st.one_of(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                          st.sampled_from(" \t\n\x0b\x1c\x85\xa0\u2028\u3000\u200b\ufeff")), max_size=12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_text.filter(str.strip), _text, _text, st.sampled_from(["deb", "RPM", " pip ", "Deb"]),
                          st.one_of(st.none(), st.integers(0, 10**8))), max_size=8))
def test_any_list_decodes_stripped_with_lowercased_sources(
        rows_in: list[tuple[str, str, str, str, int | None]]) -> None:
    r = _snapshot([{"name": n, "version": v, "vendor": vd, "source": s, "arch": "amd64"} for n, v, vd, s, _ in rows_in])
    for msg, (*_, ago) in zip(r.host_snapshot.software, rows_in, strict=True):
        if ago is not None:
            msg.installed_at.FromDatetime(NOW - timedelta(seconds=ago))
    assert rows(_items(r)) == [
        Row(n.strip(), v.strip(), "amd64", s.strip().lower(), vendor=vd.strip(),
            installed_at=None if ago is None else NOW - timedelta(seconds=ago))
        for n, v, vd, s, ago in rows_in]


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
    r = _snapshot(_plain(1))
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


# --- what the agent sends ------------------------------------------------------------------------

def _agent_item(name: str, version: str = "1.0", *, vendor: str = "", source_package: str = "", purl: str = "",
                installed_at: datetime | None = None) -> SoftwareItem:
    return SoftwareItem(name=name, version=version, source="deb", vendor=vendor, arch="amd64",
                        source_package=source_package, installed_at=installed_at, purl=purl)


def _inventory(items: tuple[SoftwareItem, ...]) -> Inventory:
    return Inventory(HostFacts("pc-1"), items, (CollectorStatus("deb", CollectorState.OK),))


def test_agent_snapshot_arrives_as_sent() -> None:
    when = NOW - timedelta(days=3, microseconds=5)
    items = (_agent_item("bash", "5.2", vendor="Debian", installed_at=when, source_package="bash-src"),
             _agent_item("curl", "7.88", purl="pkg:deb/debian/curl@7.88"))
    report = encode_snapshot(_inventory(items), source_id="s-1", seq=1, now=NOW - timedelta(minutes=1))
    assert len(report.host_snapshot.software) == 2
    decoded = decode_report(report_pb2.Report.FromString(report.SerializeToString()), NOW)
    assert rows(decoded.inventories[0].items) == [
        Row("bash", "5.2", "amd64", "deb", vendor="Debian", source_package="bash-src", installed_at=when),
        Row("curl", "7.88", "amd64", "deb", purl="pkg:deb/debian/curl@7.88"),
    ]


def test_agent_delta_lists_arrive_as_sent() -> None:
    delta = Delta(added=(_agent_item("new"),), removed=(_agent_item("old"),), changed=(_agent_item("bumped", "2.0"),))
    report = encode_delta(_inventory(()), delta, base_report_id=str(uuid.uuid4()), source_id="s-1", seq=2,
                          now=NOW - timedelta(minutes=1))
    inv = decode_report(report_pb2.Report.FromString(report.SerializeToString()), NOW).inventories[0]
    assert (inv.items.name, inv.removed.name, inv.changed.name, inv.changed.version) == \
        (("new",), ("old",), ("bumped",), ("2.0",))


def test_decoded_report_survives_the_pipe_to_the_writer(tmp_path: Path) -> None:
    """`serve --workers` pickles decoded reports from a front-end to the writer: same value, same rows stored."""
    decoded = decode_report(_long({5: "Dëbian "}), NOW)
    arrived = pickle.loads(pickle.dumps(decoded))
    assert arrived == decoded and arrived.inventories[0].items == decoded.inventories[0].items
    store = Store.open(tmp_path / "nc.duckdb")
    try:
        store.store_reports([arrived], NOW)
        stored = store.query("SELECT name, version, vendor, installed_at FROM software_installs ORDER BY name")
    finally:
        store.close()
    expected = sorted(rows(decoded.inventories[0].items))
    assert [(r["name"], r["version"], r["vendor"], r["installed_at"]) for r in stored] == \
        [(r.name, r.version, r.vendor or None, r.installed_at) for r in expected]  # the store keeps "" as NULL


# --- the retired PackedSoftware form -------------------------------------------------------------

def _delta() -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="s-1", seq=2)
    r.created_at.FromDatetime(NOW - timedelta(minutes=1))
    r.host_delta.base_report_id = str(uuid.uuid4())
    r.host_delta.facts.hostname = "pc-1"
    r.host_delta.added.add(name="zsh", version="5.9", arch="amd64", source="deb")
    return r


@pytest.mark.parametrize(("make", "number", "name"), [
    (lambda: _snapshot(_plain(2)), 6, "host_snapshot.software_packed"),
    (_delta, 9, "host_delta.added_packed"),
    (_delta, 10, "host_delta.removed_packed"),
    (_delta, 11, "host_delta.changed_packed"),
])
def test_packed_software_from_old_agents_is_refused_naming_the_supported_form(make, number: int,  # type: ignore[no-untyped-def]
                                                                             name: str) -> None:
    original = make()
    parsed = report_pb2.Report.FromString(with_packed(original, number))
    body = original.WhichOneof("body")
    assert getattr(parsed, body).ListFields() == getattr(original, body).ListFields()  # only an unknown field now
    with pytest.raises(InvalidReport) as err:
        decode_report(parsed, NOW)
    assert str(err.value) == f"{name}: {RETIRED_PACKED_REASON}"
    assert "repeated SoftwareItem" in str(err.value) and "HostSnapshot.software" in str(err.value)
    decode_report(report_pb2.Report.FromString(original.SerializeToString()), NOW)  # the same report without it


def test_other_unknown_fields_are_ignored() -> None:
    """report.proto: consumers ignore fields they do not know (a newer sender's additions)."""
    r = _snapshot(_plain(2))
    parsed = report_pb2.Report.FromString(with_packed(r, 99))
    assert _items(parsed).name == ("p0", "p1")

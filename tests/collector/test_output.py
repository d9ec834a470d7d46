"""Typed findings render as the JSON/CSV of the interface contract (DESIGN.md)."""

from __future__ import annotations

import csv
import json

from hypothesis import given
from hypothesis import strategies as st

from collector.escaping import TOKEN, clip, escape_text, split_tokens
from collector.output import to_csv, to_json, to_table
from tests.collector.wire.test_query import FINDING


def test_finding_json_keys_are_the_fields_in_order_with_evidence_objects_and_utc_times() -> None:
    (row,) = json.loads(to_json([FINDING]))
    assert list(row) == [
        "finding_id", "kind", "severity", "asset_id", "hostname", "ip", "mac", "serial", "asset_tag", "status",
        "status_class", "rule_id", "software_name", "software_version", "first_seen", "last_seen", "evidence",
        "summary", "suppressed", "suppression", "register", "record_key", "opened_at", "resolved_at",
        "first_seen_installed"]
    assert row["first_seen"] == "2026-11-02T09:30:15.123456Z" and row["resolved_at"] is None
    assert row["first_seen_installed"] == row["first_seen"]  # a software finding: "since when" it was installed
    assert row["evidence"][0] == {"source": "agent-1", "method": "agent", "seen_at": "2026-11-02T09:30:15.123456Z",
                                  "detail": "teamviewer 15.2 (deb package); agent report"}
    assert row["evidence"][1]["seen_at"] is None


def test_finding_csv_flattens_evidence_into_one_column_per_field_and_writes_booleans_as_words() -> None:
    header, line = to_csv([FINDING], ["kind", "evidence", "suppressed"]).splitlines()
    assert header == "kind,evidence.source,evidence.method,evidence.seen_at,evidence.detail,suppressed"
    (cells,) = csv.reader([line])
    assert cells[0] == "unauthorised-software" and cells[-1] == "true"
    sources, methods, seen = (cell.split("; ") for cell in cells[1:4])
    assert sources == ["agent-1", "rules"] and methods == ["agent", "rule"]
    assert seen == ["2026-11-02T09:30:15.123456Z", ""]  # no time: the place stays, the n-th values belong together
    assert cells[4] == "teamviewer 15.2 (deb package); agent report; rule remote-access-unapproved: Remote access"


def test_csv_header_is_the_same_whatever_the_rows() -> None:
    columns = ["kind", "evidence", "summary"]
    assert to_csv([], columns).splitlines()[0] == to_csv([FINDING], columns).splitlines()[0]


# --- hostile values (issue #14): what a device or an agent chose to call itself -----------------

HOSTILE = {
    "title": "\x1b]0;owned\x07sw1",
    "clear": "\x1b[2Jcore-rt",
    "hidden": "ok\x1b[8mrm -rf\x1b[0m",
    "hyperlink": '=HYPERLINK("http://example.invalid/x","click")',
    "plus": "+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "bidi": "invoice\u202efdp.exe",
}


def test_csv_defuses_formula_cells_and_escapes_controls() -> None:
    rows = [{"name": v} for v in HOSTILE.values()]
    lines = to_csv(rows, ["name"]).splitlines()
    cells = [next(csv.reader([line]))[0] for line in lines[1:]]
    assert len(cells) == len(HOSTILE)  # no value broke a row in two
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        assert not any(ch in cell for ch in "\x1b\x07\t\r\n\u202e"), cell
    by_key = dict(zip(HOSTILE, cells, strict=True))
    assert by_key["hyperlink"] == "'" + HOSTILE["hyperlink"]
    assert by_key["tab"] == "'\\t=1+1" and by_key["cr"] == "'\\r=1+1"
    assert by_key["title"] == "\\x1b]0;owned\\x07sw1" and by_key["bidi"] == "invoice\\u202efdp.exe"


def test_csv_leaves_numbers_we_format_as_numbers_but_quotes_text_that_looks_like_one() -> None:
    from decimal import Decimal

    rows = [{"n": -3, "f": -1.5, "d": Decimal("-2.25"), "t": "-3", "b": False}]
    assert to_csv(rows, ["n", "f", "d", "t", "b"]).splitlines()[1] == "-3,-1.5,-2.25,'-3,false"


def test_csv_lists_and_headers_are_made_safe_too() -> None:
    rows = [{"=cmd": ["=1+1", "ok"], "x": None}]
    header, line = to_csv(rows, ["=cmd", "x"]).splitlines()
    assert header == "'=cmd,x" and line == "'=1+1; ok,"


def test_json_escapes_c1_bidi_and_separators_and_stays_valid() -> None:
    rows = [{"name": v, "more": [v, "\x85\u2028"]} for v in HOSTILE.values()]
    document = to_json(rows)
    assert not any(ch in document for ch in "\x1b\x07\x85\u2028\u202e")
    assert json.loads(document) == rows


def test_table_escapes_every_cell_and_the_header() -> None:
    rows = [{"host": v, "summary": v} for v in HOSTILE.values()]
    table = to_table(rows, [("host", "HOST\x1b[2J"), ("summary", "SUMMARY")], width=200)
    assert not any(ch in table for ch in "\x1b\x07\t\r\u202e")
    assert len(table.splitlines()) == 2 + len(HOSTILE)  # one line per row: no value added a line
    assert "HOST\\x1b[2J" in table and "\\x1b]0;owned\\x07sw1" in table


@given(st.text(alphabet=st.sampled_from(["a", " ", "\x1b", "\n", "\u202e", "\U000e0041", "\\", "x", "é"]),
               max_size=60), st.integers(2, 30))
def test_clipping_and_wrapping_never_cut_an_escape(raw: str, width: int) -> None:
    escaped = escape_text(raw)
    whole = set(TOKEN.findall(escaped))
    clipped = clip(escaped, width)
    assert len(clipped) <= width
    if clipped != escaped:
        assert clipped.endswith("…") and escaped.startswith(clipped[:-1])
        assert "".join(TOKEN.findall(clipped[:-1])) == clipped[:-1]
        assert set(TOKEN.findall(clipped[:-1])) <= whole
    pieces = split_tokens(escaped, max(width, 10))
    assert "".join(pieces) == escaped
    assert all(set(TOKEN.findall(p)) <= whole for p in pieces)


def test_a_table_column_cut_short_ends_before_an_escape_not_inside_it() -> None:
    rows = [{"host": "a" * 25 + "\x1b[2J", "summary": "s"}]
    line = to_table(rows, [("host", "HOST"), ("summary", "SUMMARY")], width=37).splitlines()[2]
    assert line.startswith("a" * 25 + "…")  # 28 wide: "\x1b" does not fit whole, so none of it shows
    long = [{"host": "h", "summary": "word " + "\x1b" * 40}]
    wrapped = [line[len("h     "):] for line in
               to_table(long, [("host", "HOST"), ("summary", "SUMMARY")], width=40, max_lines=10).splitlines()[2:]]
    assert wrapped[0] == "word" and all(line == "\\x1b" * 8 for line in wrapped[1:])
    assert len(wrapped) == 6


_WORDS = st.text(alphabet=st.sampled_from(["a", "b", " ", "東", "\u0301", "\x1b", "-", "7"]), max_size=40)


@given(st.lists(st.tuples(_WORDS, _WORDS, _WORDS, _WORDS), min_size=1, max_size=6), st.integers(30, 160))
def test_a_table_fits_its_width_and_never_cuts_a_key(rows: list[tuple[str, str, str, str]], width: int) -> None:
    from collector.escaping import cells

    records = [{"hostname": h, "vendor": v, "os": o, "summary": s} for h, v, o, s in rows]
    columns = [("hostname", "HOST"), ("vendor", "VENDOR"), ("os", "OS"), ("summary", "SUMMARY")]
    table = to_table(records, columns, width=width, max_lines=50)
    keys = max(cells("HOST"), *(cells(escape_text(h)) for h, *_ in rows))
    for line in table.splitlines():
        assert cells(line) <= max(width, keys + 2 + 24), (width, line)  # 24: the free text's least width
    for host, *_ in rows:  # a key column is never cut: every host name is there whole
        assert escape_text(host).strip() in table

"""Bytes -> `Table`: decoding, CSV and JSON reading with the physical line each row starts on.

Every register importer reads its input through here, so that the awkward parts — BOMs, binary files
handed over by mistake, multi-line quoted fields, line numbers for error messages — are solved once.
All failures are `RegisterError` with a one-line "FILE:LINE: what (what to do)" message; nothing in
this module lets a `csv.Error`, `UnicodeDecodeError` or `json.JSONDecodeError` escape.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from collector.errors import RegisterError

__all__ = ["Table", "looks_like_json", "quote", "read_csv", "read_json"]

# Signatures of files people export by mistake instead of CSV. Checked before decoding so the user is
# told what they handed over rather than "not UTF-8 at byte 3".
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive or Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel/Office document (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

_JSON_WS = re.compile(r"[ \t\n\r]*")
_MAX_QUOTE = 60


def quote(text: str, limit: int = _MAX_QUOTE) -> str:
    """Quote a value for a one-line message: escapes control characters and truncates.

    Register cells can hold anything (line breaks, NULs, 10 kB of notes); the message a user sees must
    stay on one line and stay readable.
    """
    cut = text if len(text) <= limit else text[:limit] + "…"
    out = []
    for ch in cut:
        if ch == '"':
            out.append('\\"')
        elif ch.isprintable() or ch == "…":
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return '"' + "".join(out) + '"'


@dataclass(frozen=True, slots=True)
class Table:
    """A register file reduced to a header and rows of strings.

    Attributes:
        filename: the name used in messages.
        header: column names as written (stripped, BOM removed).
        header_line: 1-based line of the header.
        rows: (line the row starts on, cells aligned with `header`) for every non-blank row.
    """

    filename: str
    header: tuple[str, ...]
    header_line: int
    rows: tuple[tuple[int, tuple[str, ...]], ...]


def decode(data: bytes, filename: str) -> str:
    """Decode register bytes to text, refusing binary files with a message that says what they are.

    UTF-8 (with or without BOM, which Excel's "CSV UTF-8" and Snipe-IT's exports write) is the
    format; UTF-16 with a BOM (Excel's "Unicode Text") is accepted too. Anything else is refused
    rather than guessed as cp1252: a mis-decoded name is worse than a clear error.
    """
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise RegisterError(f"{filename}:1: this is {what}, not a CSV/JSON text file "
                                "(export the register as CSV, e.g. Excel 'Save as CSV UTF-8')")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count("\n".encode("utf-16-le")) + 1
            raise RegisterError(f"{filename}:{line}: invalid UTF-16 text at byte {exc.start} "
                                "(re-export the register as CSV UTF-8)") from exc
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data[:nul].count(b"\n") + 1
            raise RegisterError(f"{filename}:{line}: binary data (NUL byte at offset {nul}); this is not a "
                                "CSV/JSON text file (export the register as CSV UTF-8)")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise RegisterError(f"{filename}:{line}: not UTF-8 text (bad byte 0x{data[exc.start]:02x} at "
                                f"offset {exc.start}); save the file as 'CSV UTF-8'") from exc
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise RegisterError(f"{filename}:{line}: binary data (NUL character); this is not a CSV/JSON "
                            "text file (export the register as CSV UTF-8)")
    return text.removeprefix("\ufeff")


def looks_like_json(text: str) -> bool:
    """True when the text starts like a JSON array or object (what a JSON register export is)."""
    return text.lstrip(" \t\r\n")[:1] in ("[", "{")


def _sniff_delimiter(text: str) -> str:
    """Choose the delimiter from the header line: the commonest of , ; TAB outside quotes.

    Excel writes ';' in locales whose decimal separator is ',', and "Unicode Text" uses TAB; the
    header of a register never has quoted delimiters worth worrying about, but skip quotes anyway.
    Ties go to ',' — the format Snipe-IT and NetBox write.
    """
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts.values())
    if best == 0 or counts[","] == best:
        return ","
    return ";" if counts[";"] == best else "\t"


def _csv_error(filename: str, start: int, end: int, exc: csv.Error) -> RegisterError:
    reason = str(exc)
    if "unexpected end of data" in reason:
        return RegisterError(f"{filename}:{start}: a quoted field starting on this line is never closed "
                             '(add the missing closing " or remove the stray one)')
    if "expected after" in reason:
        return RegisterError(f"{filename}:{end}: text after a closing quote ({reason}); "
                             'write a quote inside a quoted field as ""')
    if "field larger than field limit" in reason:
        return RegisterError(f"{filename}:{start}: a field is larger than {csv.field_size_limit()} characters "
                             "(probably an unclosed quote; check the quoting)")
    return RegisterError(f"{filename}:{start}: not valid CSV ({reason})")


def read_csv(text: str, filename: str) -> Table:
    """Parse CSV text into a `Table`, remembering the physical line each row *starts* on.

    `csv.reader.line_num` is the number of physical lines consumed so far, i.e. the line a row
    *ends* on; a row therefore starts one line after the previous row ended. Blank lines come back
    as empty rows, so they are consumed (and counted) too.

    Raises:
        RegisterError: the text is empty, has only a header, or is not CSV.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text), strict=True)
    header: tuple[str, ...] | None = None
    header_line = 0
    rows: list[tuple[int, tuple[str, ...]]] = []
    prev_end = 0
    while True:
        start = prev_end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _csv_error(filename, start, reader.line_num, exc) from exc
        prev_end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = tuple(c.strip().removeprefix("\ufeff").strip() for c in cells)
            header_line = start
            continue
        if len(cells) > len(header):
            if any(c.strip() for c in cells[len(header):]):
                raise RegisterError(
                    f"{filename}:{start}: row has {len(cells)} fields but the header has {len(header)} "
                    "(a value containing the delimiter must be quoted)")
            cells = cells[: len(header)]
        padded = tuple(cells) + ("",) * (len(header) - len(cells))
        rows.append((start, padded))
    if header is None:
        raise RegisterError(f"{filename}:1: file is empty (export the register with its header row)")
    if not rows:
        raise RegisterError(f"{filename}:{header_line}: only a header, no asset rows "
                            "(nothing to import; check that the export is not filtered to nothing)")
    return Table(filename, header, header_line, tuple(rows))


def _scalar(value: Any) -> str:
    """JSON scalar -> cell text, the way the same value would read in a CSV export."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _flatten(obj: dict[str, Any], prefix: str, out: dict[str, str], depth: int) -> None:
    """Flatten nested objects to dotted keys ("status_label.name"), as API exports nest them.

    Lists of scalars become comma-separated cells (several MACs or IPs); anything deeper than a few
    levels is kept as compact JSON text — nothing a register importer needs lives that deep.
    """
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 4:
            if not value:
                out[name] = ""
            _flatten(value, name + ".", out, depth + 1)
        elif isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
            out[name] = ", ".join(_scalar(v) for v in value if v is not None)
        else:
            out[name] = _scalar(value)


def _skip_ws(text: str, pos: int) -> int:
    match = _JSON_WS.match(text, pos)
    return match.end() if match else pos


def _scan_array(text: str, pos: int) -> list[tuple[int, Any]]:
    """Decode the array starting at `pos` element by element, noting each element's start line.

    The text is already known to be valid JSON (json.loads succeeded), so this only re-walks it with
    `raw_decode` to recover positions, which json.loads does not report.
    """
    decoder = json.JSONDecoder()
    items: list[tuple[int, Any]] = []
    pos = _skip_ws(text, pos + 1)  # past '['
    line, counted = 1, 0
    if text.startswith("]", pos):
        return items
    while True:
        line += text.count("\n", counted, pos)
        counted = pos
        value, pos = decoder.raw_decode(text, pos)
        items.append((line, value))
        pos = _skip_ws(text, pos)
        if not text.startswith(",", pos):
            return items
        pos = _skip_ws(text, pos + 1)


def _rows_key(filename: str, obj: dict[str, Any]) -> str:
    """Pick the member of a top-level object holding the rows (Snipe-IT API: "rows", NetBox: "results")."""
    lists = [k for k, v in obj.items() if isinstance(v, list)]
    for preferred in ("rows", "results", "assets", "devices", "data", "items"):
        if preferred in lists:
            return preferred
    if len(lists) == 1:
        return lists[0]
    found = ", ".join(quote(k, 30) for k in list(obj)[:10]) or "nothing"
    raise RegisterError(f"{filename}:1: expected a JSON array of asset objects, found an object with keys "
                        f"{found} (export the list of assets itself)")


def _locate_member(text: str, key: str) -> int:
    """Position of the value of top-level member `key` in a (valid) JSON object text."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, _skip_ws(text, 0) + 1)  # past '{'
    while True:
        name, pos = decoder.raw_decode(text, pos)
        pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past ':'
        if name == key:
            return pos
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past ','


def read_json(text: str, filename: str) -> Table:
    """Parse a JSON register (an array of objects, or an API-style object holding one) into a `Table`.

    The header is the union of the (flattened) keys in first-seen order; a row's line is the line its
    object starts on.

    Raises:
        RegisterError: not JSON, not an array of objects, or empty.
    """
    if not text.strip():
        raise RegisterError(f"{filename}:1: file is empty (export the register as a JSON array of objects)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegisterError(f"{filename}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    except (ValueError, RecursionError) as exc:  # over-long integers, absurd nesting
        raise RegisterError(f"{filename}:1: JSON is not usable as a register ({type(exc).__name__}: "
                            f"{quote(str(exc))})") from exc
    try:
        if isinstance(doc, dict):
            key = _rows_key(filename, doc)
            items = _scan_array(text, _locate_member(text, key))
        elif isinstance(doc, list):
            items = _scan_array(text, _skip_ws(text, 0))
        else:
            raise RegisterError(f"{filename}:1: expected a JSON array of asset objects, found a "
                                f"{type(doc).__name__} (export the list of assets)")
        header: dict[str, None] = {}
        flat_rows: list[tuple[int, dict[str, str]]] = []
        for line, value in items:
            if not isinstance(value, dict):
                raise RegisterError(f"{filename}:{line}: array element is a {type(value).__name__}, not an "
                                    "object (write one JSON object per asset)")
            flat: dict[str, str] = {}
            _flatten(value, "", flat, 0)
            header.update(dict.fromkeys(flat))
            flat_rows.append((line, flat))
    except RecursionError as exc:
        raise RegisterError(f"{filename}:1: JSON is nested too deeply to be a register") from exc
    if not flat_rows:
        raise RegisterError(f"{filename}:1: no asset objects in the file (nothing to import)")
    columns = tuple(header)
    rows = tuple((line, tuple(flat.get(c, "") for c in columns)) for line, flat in flat_rows)
    return Table(filename, columns, 1, rows)

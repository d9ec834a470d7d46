"""Rendering rows for people (aligned tables) and machines (JSON, CSV, Parquet).

Rows are the typed findings and assets (collector.domain.findings), or plain mappings for the
commands whose columns are not ours to type (`sql`, `sources`). A typed row becomes a mapping of
its fields, in field order, only here, at the moment it is written out.

Values come from the network (sysName, sysDescr, host and software names), so every text format is
escaped here (collector.escaping): tables and CSV show control and format characters visibly, CSV
cells that a spreadsheet would run as a formula get a leading single quote, JSON escapes C1, bidi and
separator characters as \\uXXXX. Numbers we format ourselves are not text and are never quoted (a
negative count stays a number). Parquet is a machine format and keeps the values as stored.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from collector.domain.decisions import Decision, DuplicateRow, Explanation
from collector.domain.findings import AssetRow, Evidence, FindingRow
from collector.errors import UsageError
from collector.escaping import cells, clip, csv_cell, escape_text, json_safe, wrap

FORMATS = ("table", "json", "csv", "parquet")

Row = FindingRow | AssetRow | DuplicateRow | Decision | Mapping[str, object]


def _plain(value: object) -> object:
    """Nested values (evidence) as JSON-shaped dicts and lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _record(row: Row) -> Mapping[str, object]:
    """A row as a mapping of its fields, in their declared order (the JSON key order of the contract)."""
    if isinstance(row, Mapping):
        return row
    return {f.name: _plain(getattr(row, f.name)) for f in fields(row)}


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S") + (f".{value.microsecond:06d}" if value.microsecond else "") + "Z"


def to_json(rows: Sequence[Row]) -> str:
    """One JSON array (valid JSON; C1, bidi and separator characters escaped as \\uXXXX)."""
    return json_safe(json.dumps([_record(r) for r in rows], default=_json_default, ensure_ascii=False, indent=2))


LIST_SEPARATOR = "; "

# CSV for ticket systems and spreadsheets is flat: a column holding a list of records is written as
# one column per field, `<column>.<field>`, each the items' values joined with LIST_SEPARATOR in the
# same order (the n-th value of every such column belongs to the n-th item). The fields come from
# the record's type, not from the data, so the header is the same whatever a query returns.
FLATTENED: dict[str, tuple[str, ...]] = {"evidence": tuple(f.name for f in fields(Evidence))}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(value) or ""
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], dict):
            return json.dumps(list(value), default=_json_default, ensure_ascii=False)
        return LIST_SEPARATOR.join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_columns(columns: Sequence[str]) -> list[str]:
    """The CSV header for `columns`: each FLATTENED column replaced by its `<column>.<field>` columns."""
    return [f"{c}.{f}" if c in FLATTENED else c for c in columns for f in FLATTENED.get(c, ("",))]


def _flat(row: Mapping[str, object], column: str) -> object:
    """The value of one CSV column of `row`, `<column>.<field>` read across the items of a list."""
    name, _, field = column.partition(".")
    if not field or name not in FLATTENED:
        return row.get(column)
    items = row.get(name) or []
    assert isinstance(items, (list, tuple))
    return LIST_SEPARATOR.join(_cell(item.get(field) if isinstance(item, Mapping) else None) for item in items)


def to_csv(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """CSV with a flat, stable header (FLATTENED columns one per field); lists joined with "; ";
    text cells made safe (csv_cell)."""
    header = csv_columns(columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in header])
    for row in map(_record, rows):
        writer.writerow([_csv_value(_flat(row, c)) for c in header])
    return buf.getvalue()


def _csv_value(value: object) -> str:
    """A number we format stays a number (-3 is not a formula); everything else is text and made safe."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return escape_text(_cell(value))
    return csv_cell(_cell(value))


def _short(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        items = [_short(v) for v in value]
        return ", ".join(items[:2]) + (f" +{len(items) - 2}" if len(items) > 2 else "")
    return _cell(value)


# Columns that identify a row: never cut, whatever the width (a clipped asset id or address is
# worse than none). Free text wraps; everything else is clipped with "…" and, if even that does not
# fit, hidden (with a line saying which).
KEY_FIELDS = frozenset({"asset_id", "other_asset_id", "hostname", "hostnames", "ip", "ips", "kind", "finding_id",
                        "decision_id", "source_id", "name", "id"})
# Free text: as the last column of a table it wraps instead of being clipped.
TEXT_FIELDS = frozenset({"summary", "why", "reason", "detail", "description", "message", "outcome", "target"})
DEFAULT_WIDTH = 100      # no terminal (a pipe, a file, cron): what most readers' windows hold
MAX_CLIP = 40            # a clipped column wider than this only pushes the free text into more lines
MIN_CLIP = 6
MIN_WRAP = 24
MAX_WRAP_LINES = 6       # a longer cell ends in "…" and a pointer to the full value


def terminal_width() -> int:
    """The width tables fit: COLUMNS when set, else the terminal's, else DEFAULT_WIDTH (no terminal)."""
    return max(20, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cells(text))


def _layout(heads: list[str], cols: list[list[str]], keys: list[bool], wrap_at: int | None,
            width: int, whole: list[bool]) -> tuple[list[int], list[bool]]:
    """Column widths and which columns are shown, so a row fits `width` cells where that is possible.

    Key columns keep their natural width. The free-text column gets what is left, at least MIN_WRAP.
    Other columns shrink, the widest first, down to their header or MIN_CLIP (columns `whole`, such as
    times, which say nothing when cut, not at all); when that is still too wide, columns are hidden:
    empty ones first, then from the right (put the most telling first).
    """
    n = len(heads)
    natural = [max(cells(heads[i]), *(cells(c) for c in cols[i])) for i in range(n)]
    floor = [natural[i] if keys[i] or whole[i] else min(natural[i], max(MIN_CLIP, cells(heads[i])))
             for i in range(n)]
    widths = [natural[i] if keys[i] else min(natural[i], MAX_CLIP) for i in range(n)]
    if wrap_at is not None:
        floor[wrap_at] = widths[wrap_at] = min(natural[wrap_at], max(MIN_WRAP, cells(heads[wrap_at])))
    shown = [True] * n

    def total() -> int:
        visible = [widths[i] for i in range(n) if shown[i]]
        return sum(visible) + 2 * (len(visible) - 1)

    if total() > width:  # an empty column says nothing: it goes before anything is cut
        for i in range(n):
            if not keys[i] and i != wrap_at and not any(cols[i]):
                shown[i] = False
    while total() > width:
        shrinkable = [i for i in range(n) if shown[i] and widths[i] > floor[i] and i != wrap_at]
        if shrinkable:
            widths[max(shrinkable, key=lambda i: (widths[i], i))] -= 1  # the widest first: even cuts
            continue
        hideable = [i for i in range(n) if shown[i] and not keys[i] and i != wrap_at]
        if not hideable:
            break  # only keys and the free text are left: they are shown whole, wider than asked
        shown[hideable[-1]] = False
    if wrap_at is not None:
        widths[wrap_at] = max(floor[wrap_at], min(natural[wrap_at], widths[wrap_at] + width - total()))
    return widths, shown


def to_table(rows: Sequence[Row], columns: Sequence[tuple[str, str]], *, width: int | None = None,
             wrap_last: bool = True, max_lines: int = MAX_WRAP_LINES) -> str:
    """Aligned columns that fit `width` terminal cells (default: the terminal, COLUMNS, or 100).

    Widths are counted in cells (collector.escaping.cells), so wide and combining characters line
    up. Key columns (KEY_FIELDS: ids, host names, addresses, kinds) are never cut; the last column,
    when it is free text (TEXT_FIELDS, and `wrap_last`), wraps over at most `max_lines` lines; the others are clipped
    with "…" and hidden when even that does not fit, with a closing line naming them.
    """
    if not rows:
        return ""
    width = width or terminal_width()
    heads = [escape_text(h) for _, h in columns]
    records = list(map(_record, rows))
    cols = [[escape_text(_short(row.get(key))) for row in records] for key, _ in columns]
    keys = [key in KEY_FIELDS for key, _ in columns]
    last = len(columns) - 1
    wrap_at = last if wrap_last and columns[last][0] in TEXT_FIELDS else None
    whole = [any(isinstance(row.get(key), (datetime, date)) for row in records) for key, _ in columns]
    widths, shown = _layout(heads, cols, keys, wrap_at, width, whole)
    order = [i for i in range(len(columns)) if shown[i]]

    def line(values: list[str]) -> str:
        return "  ".join(_pad(values[k], widths[i]) for k, i in enumerate(order)).rstrip()

    lines = [line([clip(heads[i], widths[i]) for i in order]), "  ".join("-" * widths[i] for i in order)]
    indent = sum(widths[i] + 2 for i in order[:-1])
    for r in range(len(records)):
        values = [cols[i][r] if keys[i] else clip(cols[i][r], widths[i]) for i in order]
        more: list[str] = []
        if wrap_at is not None and shown[wrap_at]:
            chunks = wrap(cols[wrap_at][r], widths[wrap_at])
            if len(chunks) > max_lines:
                chunks = chunks[:max_lines]
                tail = clip(chunks[-1], max(1, widths[wrap_at] - cells(_MORE) - 1))
                chunks[-1] = (tail if tail.endswith("…") else tail + "…") + _MORE
            values[-1], more = chunks[0], chunks[1:]
        lines.append(line(values))
        lines.extend((" " * indent + chunk).rstrip() for chunk in more)
    hidden = [heads[i] for i in range(len(columns)) if not shown[i] and any(cols[i])]
    if hidden:
        lines.extend(wrap(f"(hidden to fit {width} columns: {', '.join(hidden)}; widen the terminal or use "
                          "--format json)", width))
    return "\n".join(lines)


_MORE = " (see --format json)"


def to_parquet(rows: Sequence[Row], columns: Sequence[str], path: Path) -> None:
    """Write rows to a Parquet file (lists stay lists; evidence as JSON text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [_record(r) for r in rows]
    data = {c: [r.get(c) for r in records] for c in columns}
    for c in columns:
        if any(isinstance(v, (list, dict)) and v and isinstance((v[0] if isinstance(v, list) else v), dict)
               for v in data[c]):
            data[c] = [json.dumps(v, default=_json_default) if v is not None else None for v in data[c]]
    pq.write_table(pa.table(data), path)


def emit(rows: Sequence[Row], fmt: str, *, columns: Sequence[str], table_columns: Sequence[tuple[str, str]],
         out: TextIO, output: Path | None = None, empty: str = "") -> None:
    """Print rows in the requested format."""
    if fmt == "json":
        out.write(to_json(rows) + "\n")
    elif fmt == "csv":
        out.write(to_csv(rows, columns))
    elif fmt == "parquet":
        if output is None:
            raise UsageError("--format parquet needs --output FILE")
        to_parquet(rows, columns, output)
        out.write(f"wrote {len(rows)} rows to {output}\n")
    elif fmt == "table":
        out.write((to_table(rows, table_columns) or empty) + "\n")
    else:
        raise UsageError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")


def explanation_json(e: Explanation) -> str:
    """`assets explain --format json`: one JSON object (escaped as to_json escapes)."""
    return json_safe(json.dumps(_plain(e), default=_json_default, ensure_ascii=False, indent=2))


def explanation_text(e: Explanation) -> str:
    """`assets explain`: a few readable lines; every value from the network or a person is escaped."""
    a = e.asset

    def x(value: object) -> str:
        return escape_text(_short(value)) if not isinstance(value, str) else escape_text(value)

    names = " / ".join(x(v) for v in (a.hostnames[:1] + a.ips[:1] + a.macs[:1])) or "no name"
    what = ", ".join(x(v) for v in (a.vendor, a.device_type, a.model, a.os) if v)
    lines = [f"asset {x(a.asset_id)}: {names}" + (f" ({what})" if what else ""),
             f"  seen {x(a.first_seen)} to {x(a.last_seen)} by {', '.join(x(s) for s in a.sources) or '-'}"]
    if e.record:
        lines.append(f"  recorded: {x(e.record)}, matched by {x(e.record_key or '?')}")
    else:
        lines.append("  recorded: no register record matches it")
    lines.append(f"  {len(e.members)} subject(s), and the key that joined each:")
    width = min(40, max(len(x(m.subject)) for m in e.members)) if e.members else 0
    for m in e.members:
        lines.append(f"    {x(m.subject).ljust(width)}  {x(m.key).ljust(10)}  {x(m.first_seen)} to {x(m.last_seen)}"
                     f"  {', '.join(x(s) for s in m.sources)}")
        lines.extend(f"        {x(seen)}" for seen in m.seen)
    if e.decisions:
        lines.append("  manual decisions:")
        lines.extend(f"    #{d.decision_id} {x(d.action)} ({x(d.state)}) by {x(d.decided_by)} at {x(d.decided_at)}: "
                     f"{x(d.reason)}" for d in e.decisions)
    if e.duplicates:
        lines.append("  possible duplicates:")
        lines.extend(f"    {x(d.why)}" for d in e.duplicates)
    return "\n".join(lines)


class Progress:
    """One status line on stderr for a command that takes a while (a large register import).

    On a terminal the line is rewritten in place every second with the phase and its elapsed time,
    and erased at the end, so the command's result stays the only lasting output. Elsewhere (a pipe, a
    file, cron) it writes nothing: stderr there is for errors, and a script reads the result line.
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None, every_s: float = 1.0) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._every = every_s
        self._text = ""
        self._started = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None

    def _draw(self) -> None:
        with self._lock:
            if self._text:
                # The only control sequence written on purpose: back to the line start, erase the line.
                self._stream.write(f"\r\033[K{self._text} ({time.monotonic() - self._started:.0f} s)")
                self._stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(self._every):
            self._draw()

    def phase(self, text: str) -> None:
        """Show `text` (escaped) as what is happening now."""
        if not self._enabled:
            return
        with self._lock:
            self._text = escape_text(text)
            self._started = time.monotonic()
        self._draw()
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()

    def close(self) -> None:
        """Erase the line and stop updating it."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._enabled and self._text:
            with self._lock:
                self._stream.write("\r\033[K")
                self._stream.flush()
                self._text = ""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

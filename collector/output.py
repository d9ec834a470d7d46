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
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from collector.domain.decisions import Decision, DuplicateRow, Explanation
from collector.domain.findings import AssetRow, FindingRow
from collector.errors import UsageError
from collector.escaping import clip, csv_cell, escape_text, json_safe, split_tokens

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


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(value) or ""
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], dict):
            return json.dumps(list(value), default=_json_default, ensure_ascii=False)
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """CSV with a header; lists joined with ';', nested objects as JSON; text cells made safe (csv_cell)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in columns])
    for row in map(_record, rows):
        writer.writerow([_csv_value(row.get(c)) for c in columns])
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


def to_table(rows: Sequence[Row], columns: Sequence[tuple[str, str]], *, width: int | None = None,
             wrap_last: bool = True) -> str:
    """Aligned columns sized to the terminal; the last column (usually a sentence) wraps."""
    if not rows:
        return ""
    width = width or shutil.get_terminal_size((160, 24)).columns
    heads = [escape_text(h) for _, h in columns]
    cells = [[escape_text(_short(row.get(key))) for key, _ in columns] for row in map(_record, rows)]
    widths = [max(len(heads[i]), *(len(c[i]) for c in cells)) for i in range(len(columns))]
    for i in range(len(widths) - 1):
        widths[i] = min(widths[i], 28)
    fixed = sum(widths[:-1]) + 2 * (len(widths) - 1)
    last = max(30, width - fixed) if wrap_last else widths[-1]
    widths[-1] = min(widths[-1], last)

    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for c in cells:
        head = "  ".join(clip(v, w).ljust(w) for v, w in zip(c[:-1], widths[:-1], strict=True))
        tail = c[-1]
        # Escapes hold no spaces, so only a word longer than the column is split, and then between escapes.
        chunks = [piece for chunk in textwrap.wrap(tail, widths[-1], break_on_hyphens=False, break_long_words=False)
                  for piece in split_tokens(chunk, widths[-1])] or [""]
        lines.append((head + "  " + chunks[0]).rstrip())
        lines.extend((" " * (fixed) + chunk).rstrip() for chunk in chunks[1:])
    return "\n".join(lines)


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

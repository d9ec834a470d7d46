"""PackedSoftware blocks → software columns, checked a column at a time (pure; no I/O).

A PackedSoftware block (report.proto) carries each SoftwareItem field of a whole list as one blob
of UTF-8 bytes plus one little-endian uint32 length per row. Arrow's string arrays are exactly
"data + offsets", so for a long list a column becomes an Arrow array with a prefix sum over its
lengths and no Python object per row, and the checks the per-item path makes
(collector/wire/validate.py: UTF-8, no NUL, at most MAX_STRING characters, stripped, non-empty names
and sources, lower-case sources, plausible install times) run as Arrow kernels over the whole
column. Only once something is wrong does Python look at single rows, to name the first offender
the way the per-item path does ("software_packed[3].name: contains a NUL character").

First, whatever its length, a block whose columns are ASCII with nothing to strip (what agents
send) is checked on its bytes and passed on as they are (PackedColumns, the form the store and the
pipe to the writer process take anyway): no Python string and no Arrow array per value. Any other
block is normalised: a long one with Arrow kernels as above, a short one (a delta, a small device;
each Arrow kernel call costs a few microseconds however short the column) as Python strings
checked by the per-item path's own column checks. All paths give the same rows
(tests/collector/wire/test_packed_software.py checks that they agree with each other and with
SoftwareItem lists).
"""

from __future__ import annotations

import bisect
import struct
import sys
from array import array
from collections.abc import Sequence
from datetime import datetime
from itertools import accumulate, pairwise

import pyarrow as pa
import pyarrow.compute as pc
from netcensus.v1 import report_pb2

from collector.domain.model import ArrowSoftware, PackedColumns, SoftwareColumns, SoftwareList
from collector.wire.validate import EARLIEST, MAX_CLOCK_SKEW, MAX_STRING, InvalidReport, bounded_column

TS = pa.timestamp("us", tz="UTC")
STRING_FIELDS = ("name", "version", "arch", "pkg_source", "vendor", "source_package", "purl")
SOFTWARE_SCHEMA = pa.schema([*((name, pa.string()) for name in STRING_FIELDS), ("installed_at", TS)])
ARROW_FROM = 256  # rows; shorter lists take the Python path (see the module docstring)
# pkg_source is called `source` on the wire (SoftwareItem.source).
_WIRE_NAME = {"pkg_source": "source"}
_MAX_OFFSET = 2**31 - 1  # int32 offsets of pa.string()


def decode_packed(block: report_pb2.PackedSoftware, what: str, now: datetime, max_items: int) -> SoftwareList:
    """Check and convert one PackedSoftware block; raises InvalidReport naming field and row."""
    count = block.count
    if count > max_items:
        raise InvalidReport(f"{what}: more than {max_items} software items")
    as_sent = _as_sent(block, count, what, now)
    if as_sent is not None:
        return as_sent
    if count < ARROW_FROM:
        return _decode_short(block, count, what, now)
    return _decode_long(block, count, what, now)


def _lengths(field: report_pb2.PackedStrings, count: int, what: str, wire: str) -> bytes | None:
    """The field's lengths after the size checks both paths share; None when the field is unset."""
    if not field.data and not field.lengths:
        return None
    if len(field.lengths) != 4 * count:
        raise InvalidReport(f"{what}.{wire}: {len(field.lengths)} bytes of lengths for {count} rows "
                            f"(need 4 per row)")
    return field.lengths


def _installed(raw: bytes, count: int, what: str) -> bytes | None:
    if not raw:
        return None
    if len(raw) != 8 * count:
        raise InvalidReport(f"{what}.installed_at_us: {len(raw)} bytes for {count} rows (need 8 per row)")
    return raw


def _time_bounds(now: datetime) -> tuple[int, int]:
    """Plausible install times in µs since the epoch, as validate.check_time bounds Timestamps."""
    return int(EARLIEST.timestamp()) * 1_000_000, int((now + MAX_CLOCK_SKEW).timestamp()) * 1_000_000


def _implausible(what: str, row: int, micros: int, now: datetime) -> InvalidReport:
    return InvalidReport(f"{what}[{row}].installed_at: timestamp {micros // 1_000_000}s since 1970 is implausible "
                         f"(collector time {now.isoformat()})")


# --- lists sent as they must be stored: the bytes as they are -----------------------------------

# The ASCII characters str.strip() removes.
_ASCII_WHITESPACE = bytes(c for c in range(128) if chr(c).isspace())
# The second byte of a little-endian uint32 below 4,096 (= MAX_STRING).
_BELOW_4096 = bytes(range(16))
_MUST_NOT_BE_EMPTY = ("name", "pkg_source")


def _as_sent(block: report_pb2.PackedSoftware, count: int, what: str, now: datetime) -> PackedColumns | None:
    """The block's own bytes as PackedColumns when they are already what the checks would keep.

    That is: every value ASCII (byte and character counts agree and any cut is valid UTF-8), no
    NUL, shorter than MAX_STRING, nothing to strip, no empty name or source (pkg_source is
    lower-cased here, which keeps ASCII lengths). What agents send passes, and then no Python
    string or Arrow kernel is made per value: for 1,500 packages 0.21 ms against 0.88 ms for the
    Arrow path. None sends the block down a path that normalises or names the offending row.
    """
    columns = []
    for name in STRING_FIELDS:
        wire = _WIRE_NAME.get(name, name)
        field = getattr(block, wire)
        lengths = _lengths(field, count, what, wire)
        if lengths is None:
            if name in _MUST_NOT_BE_EMPTY and count:
                return None
            columns.append((b"", bytes(4 * count)))
            continue
        data = field.data
        if not data.isascii() or b"\x00" in data or not _all_below_4096(lengths, count):
            return None
        if name in _MUST_NOT_BE_EMPTY and b"\x00\x00\x00\x00" in lengths:  # a zero length, or rarely a false alarm
            return None
        sizes = array("I", lengths)
        if sys.byteorder != "little":
            sizes.byteswap()
        if sum(sizes) != len(data):
            return None
        if len(data.translate(None, _ASCII_WHITESPACE)) != len(data) and _edges_have_whitespace(data, sizes):
            return None
        columns.append((data.lower() if name == "pkg_source" else data, sizes.tobytes()))
    return PackedColumns(count, tuple(data for data, _ in columns), tuple(sizes for _, sizes in columns),
                         _install_times(block, count, what, now))


def _all_below_4096(lengths: bytes, count: int) -> bool:
    """Whether every little-endian uint32 length is below 4,096, from byte slices (no loop)."""
    return lengths[2::4] == lengths[3::4] == bytes(count) and not lengths[1::4].translate(None, _BELOW_4096)


def _edges_have_whitespace(data: bytes, sizes: array[int]) -> bool:
    """Whether any value starts or ends with whitespace (so strip() would change it).

    The first and last byte of every value are gathered with C-level maps; an empty value
    contributes a neighbour's byte (checked anyway) or the pad, never a false answer.
    """
    ends = list(accumulate(sizes))
    padded = data + b"."
    firsts = bytes(map(padded.__getitem__, [0, *ends[:-1]]))
    lasts = bytes(map(padded.__getitem__, map((1).__rsub__, ends)))
    return (len(firsts.translate(None, _ASCII_WHITESPACE)) != len(firsts)
            or len(lasts.translate(None, _ASCII_WHITESPACE)) != len(lasts))


def _install_times(block: report_pb2.PackedSoftware, count: int, what: str, now: datetime) -> tuple[int | None, ...]:
    """Install times as µs since the epoch, None where not recorded, bounded as validate.check_time."""
    raw = _installed(block.installed_at_us, count, what)
    if raw is None:
        return (None,) * count
    earliest, latest = _time_bounds(now)
    micros = struct.unpack(f"<{count}q", raw)
    recorded = tuple(filter(None, micros))
    if recorded and not (earliest <= min(recorded) and max(recorded) <= latest):
        n = next(n for n, value in enumerate(micros) if value and not earliest <= value <= latest)
        raise _implausible(what, n, micros[n], now)
    if len(recorded) == count:
        return micros
    return tuple(value or None for value in micros)


# --- short lists otherwise: Python strings, the per-item path's column checks -------------------

def _decode_short(block: report_pb2.PackedSoftware, count: int, what: str, now: datetime) -> SoftwareColumns:
    columns = _short_columns(block, count, what)
    return SoftwareColumns(name=columns["name"], version=columns["version"], arch=columns["arch"],
                           pkg_source=columns["pkg_source"], vendor=columns["vendor"],
                           source_package=columns["source_package"], purl=columns["purl"],
                           installed_at=_install_times(block, count, what, now))


def _short_columns(block: report_pb2.PackedSoftware, count: int, what: str) -> dict[str, tuple[str, ...]]:
    """The string columns as Python strings, checked and normalised by the per-item path's rules."""
    wire = {name: _WIRE_NAME.get(name, name) for name in STRING_FIELDS}
    columns = {name: _short_strings(getattr(block, wire[name]), count, what, wire[name]) for name in STRING_FIELDS}
    name_column = columns["name"]
    if "" in name_column:
        raise InvalidReport(f"{what}[{name_column.index('')}].name is empty")
    source = tuple(map(str.lower, columns["pkg_source"]))
    if "" in source:
        n = source.index("")
        raise InvalidReport(f"{what}[{n}] ({name_column[n]}) has no source")
    columns["pkg_source"] = source
    return columns


def _short_strings(field: report_pb2.PackedStrings, count: int, what: str, wire: str) -> tuple[str, ...]:
    """One string column as Python strings, checked by the per-item path's bounded_column."""
    lengths = _lengths(field, count, what, wire)
    if lengths is None:
        return ("",) * count
    data = field.data
    if count and lengths == lengths[:4] * count:  # one length throughout: maybe one value throughout
        size = struct.unpack("<I", lengths[:4])[0]
        if size * count == len(data) and data == data[:size] * count:  # arch, source, vendor...
            try:
                value = data[:size].decode()
            except UnicodeDecodeError:
                raise InvalidReport(f"{what}[0].{wire}: not valid UTF-8") from None
            return bounded_column((value,) * count, what, wire)
    ends = list(accumulate(struct.unpack(f"<{count}I", lengths), initial=0))
    if ends[-1] != len(data):
        raise InvalidReport(f"{what}.{wire}: lengths add up to {ends[-1]} bytes, data has {len(data)}")
    cuts = map(slice, ends, ends[1:])  # row i is data[ends[i]:ends[i + 1]]; map() keeps the loop in C
    try:
        if data.isascii():  # byte offsets are character offsets: decode once, slice the str
            values = tuple(map(data.decode().__getitem__, cuts))
        else:
            values = tuple(map(bytes.decode, map(data.__getitem__, cuts)))
    except UnicodeDecodeError:
        raise InvalidReport(f"{what}[{_first_bad_utf8(data, ends)}].{wire}: not valid UTF-8") from None
    return bounded_column(values, what, wire)


def _first_bad_utf8(data: bytes, ends: list[int]) -> int:
    """Row of the first value that is not valid UTF-8 (error path only)."""
    for n, (start, end) in enumerate(pairwise(ends)):
        try:
            data[start:end].decode()
        except UnicodeDecodeError:
            return n
    return 0


# --- long lists: Arrow arrays straight from the packed bytes -----------------------------------

def _decode_long(block: report_pb2.PackedSoftware, count: int, what: str, now: datetime) -> ArrowSoftware:
    columns = {}
    for name in STRING_FIELDS:
        wire = _WIRE_NAME.get(name, name)
        columns[name] = _strings(getattr(block, wire), count, what, wire)
    name_column = columns["name"]
    if count and pc.min(pc.binary_length(name_column)).as_py() == 0:
        raise InvalidReport(f"{what}[{_first(pc.equal(pc.binary_length(name_column), 0))}].name is empty")
    source = pc.utf8_lower(columns["pkg_source"])
    if count and pc.min(pc.binary_length(source)).as_py() == 0:
        n = _first(pc.equal(pc.binary_length(source), 0))
        raise InvalidReport(f"{what}[{n}] ({name_column[n].as_py()}) has no source")
    columns["pkg_source"] = source
    installed = _times(block.installed_at_us, count, what, now)
    return ArrowSoftware(pa.Table.from_arrays([*columns.values(), installed], schema=SOFTWARE_SCHEMA))


def _strings(field: report_pb2.PackedStrings, count: int, what: str, wire: str) -> pa.Array:
    """One string column: offsets from the lengths, then UTF-8, NUL, length checks and strip."""
    lengths = _lengths(field, count, what, wire)
    if lengths is None:  # unset: the empty string on every row (all offsets 0)
        return pa.StringArray.from_buffers(count, pa.py_buffer(bytes(4 * (count + 1))), pa.py_buffer(b""))
    data = field.data
    sizes = _sizes(lengths, count)
    offsets = _offsets(sizes)
    total = offsets[count].as_py()
    if total != len(data):
        raise InvalidReport(f"{what}.{wire}: lengths add up to {total} bytes, data has {len(data)}")
    if total > _MAX_OFFSET:
        raise InvalidReport(f"{what}.{wire}: more than {_MAX_OFFSET} bytes")
    column = _string_array(offsets, data)
    if not data.isascii():  # ASCII is valid UTF-8 (the common case skips a full validation)
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            raise InvalidReport(f"{what}[{_first_bad_utf8(data, offsets.to_pylist())}].{wire}: "
                                "not valid UTF-8") from None
    if b"\x00" in data:
        n = bisect.bisect_right(offsets.to_pylist(), data.index(b"\x00")) - 1
        raise InvalidReport(f"{what}[{n}].{wire}: contains a NUL character")
    if count and pc.max(sizes).as_py() > MAX_STRING:
        chars = pc.utf8_length(column)
        if pc.max(chars).as_py() > MAX_STRING:
            raise InvalidReport(f"{what}[{_first(pc.greater(chars, MAX_STRING))}].{wire}: "
                                f"longer than {MAX_STRING} characters")
    return pc.utf8_trim_whitespace(column)


def _sizes(lengths: bytes, count: int) -> pa.Array:
    """Per-row byte lengths (uint32, as packed) as an Arrow array over the same bytes."""
    return pa.Array.from_buffers(pa.uint32(), count, [None, pa.py_buffer(lengths)])


def _offsets(sizes: pa.Array) -> pa.Array:
    """Row start offsets, one more than rows (int64: the sum is checked before it is narrowed)."""
    return pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(sizes.cast(pa.int64()))])


def _string_array(offsets: pa.Array, data: bytes) -> pa.StringArray:
    """A string column over `data`, cut at `offsets` (at most _MAX_OFFSET bytes in all)."""
    return pa.StringArray.from_buffers(len(offsets) - 1, offsets.cast(pa.int32()).buffers()[1], pa.py_buffer(data))


def _times(raw_field: bytes, count: int, what: str, now: datetime) -> pa.Array:
    """Install times: µs since the epoch, 0 = not recorded (null); bounded as validate.check_time."""
    raw = _installed(raw_field, count, what)
    if raw is None:
        return pa.nulls(count, TS)
    micros = pa.Array.from_buffers(pa.int64(), count, [None, pa.py_buffer(raw)])
    recorded = pc.if_else(pc.equal(micros, 0), pa.scalar(None, pa.int64()), micros)
    earliest, latest = _time_bounds(now)
    bounds = pc.min_max(recorded).as_py()
    if bounds["min"] is not None and (bounds["min"] < earliest or bounds["max"] > latest):
        n = _first(pc.or_(pc.less(recorded, earliest), pc.greater(recorded, latest)))
        raise _implausible(what, n, micros[n].as_py(), now)
    return recorded.cast(TS)


def _first(mask: pa.Array) -> int:
    """Index of the first true value of a boolean array (nulls count as false)."""
    return int(pc.index(mask.fill_null(False), True).as_py())


# --- both forms in one report --------------------------------------------------------------------

def columns_to_arrow(columns: SoftwareColumns) -> pa.Table:
    """Tuple columns as a table of SOFTWARE_SCHEMA, one pa.array call per column."""
    installed = columns.installed_at
    times = pa.nulls(len(installed), TS) if installed.count(None) == len(installed) else pa.array(installed, TS)
    return pa.Table.from_arrays(
        [*(pa.array(getattr(columns, name), pa.string()) for name in STRING_FIELDS), times], schema=SOFTWARE_SCHEMA)


def packed_to_arrow(parts: Sequence[PackedColumns]) -> pa.Table:
    """Several PackedColumns (already validated) as one table of SOFTWARE_SCHEMA, rows in order:
    per field one join of the byte blocks and one prefix sum of the lengths."""
    count = sum(p.count for p in parts)
    arrays = []
    for i in range(len(STRING_FIELDS)):
        data = b"".join(p.data[i] for p in parts)
        if len(data) > _MAX_OFFSET:
            raise ValueError(f"{STRING_FIELDS[i]}: more than {_MAX_OFFSET} bytes in one round")
        arrays.append(_string_array(_offsets(_sizes(b"".join(p.lengths[i] for p in parts), count)), data))
    installed = [t for p in parts for t in p.installed_at]
    times = pa.nulls(count, TS) if installed.count(None) == count else pa.array(installed, TS)
    return pa.Table.from_arrays([*arrays, times], schema=SOFTWARE_SCHEMA)


def merged(items: SoftwareColumns, packed: SoftwareList) -> SoftwareList:
    """One list from both forms a sender may use in one report (usually only one is present)."""
    if not len(packed):
        return items
    if not len(items):
        return packed
    if isinstance(packed, PackedColumns):
        packed = packed.columns()
    if isinstance(packed, SoftwareColumns):
        return SoftwareColumns.concat([items, packed])
    return ArrowSoftware(pa.concat_tables([columns_to_arrow(items), packed.table]))

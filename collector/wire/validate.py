"""Input discipline for reports: bounds on every count, string, number, enum and timestamp.

Runs before decoding (collector/wire/codec.py), on the protobuf message as received, so a hostile or
broken sender is refused with a precise reason ("observations[3].interfaces[0].name: longer than
4096 characters") before anything reaches the store. Protobuf has already checked UTF-8 (an
invalid string fails to parse and ends the stream with INVALID_ARGUMENT); here we check what
protobuf cannot know: sizes that would hurt, numbers the database column cannot hold, enum values
this collector does not know, and clocks that are off by years.

Software items are not walked message by message: there can be 200,000 of them, and walking each
cost more than storing it. codec.py takes their fields out as columns (one tuple per field) and
the column checks below bound them a whole column at a time: one join and one `in` for NUL, one
max() over lengths, one min()/max() over timestamps, all in C, with a Python loop only to name the
offending row once something is wrong.

A host report that still fills a retired PackedSoftware field (report.proto reserves their numbers)
is refused with a reason naming the one supported form, rather than ignored like other unknown
fields: ignoring it would drop the sender's software list without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.protobuf.unknown_fields import UnknownFieldSet
from netcensus.v1 import report_pb2

MAX_STRING = 4096               # longest string field we store
MAX_REPEATED = 100_000          # any repeated field without a tighter bound below
INT32_MAX = 2**31 - 1           # INTEGER columns (duration_ms, items, vlan)
MAX_CLOCK_SKEW = timedelta(days=2)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_EARLIEST_S = int(EARLIEST.timestamp())
_MAX_SKEW_S = int(MAX_CLOCK_SKEW.total_seconds())

# Tighter bounds per repeated field (message.field).
_LIMITS = {
    "HostFacts.interfaces": 4096, "HostFacts.disks": 4096, "NetworkInterface.addresses": 4096,
    "HostSnapshot.collectors": 1024, "HostDelta.collectors": 1024,
    "HostSnapshot.neighbours": 65_536, "HostDelta.neighbours": 65_536,
    "HostSnapshot.software": 200_000, "HostDelta.added": 200_000, "HostDelta.removed": 200_000,
    "HostDelta.changed": 200_000, "Observation.software": 20_000, "Observation.interfaces": 4096,
    "Observation.open_ports": 131_072, "ScanResult.targets": 65_536, "ScanResult.methods": 64,
    "ScanResult.skipped": 64, "SkippedAddresses.examples": 64,
}
# Numbers that land in 32-bit columns or have a documented range.
_INT_MAX = {
    "CollectorStatus.duration_ms": INT32_MAX, "CollectorStatus.items": INT32_MAX,
    "TargetStatus.duration_ms": INT32_MAX, "SeenVia.vlan": 4094, "OpenPort.port": 65_535,
    "Report.seq": 2**63 - 1,
}
# Bounded column by column instead, by codec._decode_items (bounded_column, time_column).
_SKIP = {"SoftwareItem"}

# Field numbers report.proto reserves because they held PackedSoftware, a second wire form of a
# software list, until the software list was given one form (repeated SoftwareItem). A sender
# that still fills them would lose its software silently if we ignored them as unknown fields do,
# so it is told what to send instead.
_RETIRED_PACKED = {
    "host_snapshot": {6: "software_packed"},
    "host_delta": {9: "added_packed", 10: "removed_packed", 11: "changed_packed"},
}
RETIRED_PACKED_REASON = (
    "software lists in PackedSoftware (fields software_packed/added_packed/removed_packed/changed_packed) are no "
    "longer accepted; send repeated SoftwareItem (report.proto HostSnapshot.software, HostDelta.added/removed/changed)")


class InvalidReport(ValueError):
    """The report cannot be stored as sent; str() is the reason for the Ack."""


def check_time(ts: Timestamp, path: tuple[str | int, ...], now: datetime) -> None:
    """A timestamp must be well-formed and between 2000-01-01 and two days past our clock.

    `path` names the field ("observations", 2, "seen_at"); it is spelled out only for an error."""
    seconds, nanos = ts.seconds, ts.nanos
    if 0 <= nanos < 1_000_000_000 and (
            not (seconds or nanos) or _EARLIEST_S <= seconds <= int(now.timestamp()) + _MAX_SKEW_S):
        return
    if not 0 <= nanos < 1_000_000_000:
        raise InvalidReport(f"{_where(path)}: nanos {nanos} out of range")
    raise InvalidReport(f"{_where(path)}: timestamp {seconds}s since 1970 is implausible "
                        f"(collector time {now.isoformat()})")


def bounded_column(values: tuple[str, ...], what: str, field: str) -> tuple[str, ...]:
    """One string column of a software list, stripped; raises naming the first row over a bound.

    Args:
        values: the column as sent (one string per item).
        what: the list's path in the report, e.g. "software" or "observations[3].software".
        field: the field name, e.g. "name".
    """
    if values and values.count(values[0]) == len(values):
        # One value throughout (arch, source, vendor, empty purl...): check it once, and keep it as
        # one object: protobuf made a str per row, and `serve --workers` pickles the column to the
        # writer, where a shared object is one memo reference per row instead of one string
        # (1,500 items: 266 kB and 0.72 ms to unpickle before, 189 kB and 0.24-0.40 ms after).
        first = _bounded_one(values[0], what, field)
        return (first,) * len(values)
    joined = "".join(values)
    if "\x00" in joined:
        n = next(i for i, v in enumerate(values) if "\x00" in v)
        raise InvalidReport(f"{what}[{n}].{field}: contains a NUL character")
    if len(joined) > MAX_STRING and max(map(len, values)) > MAX_STRING:
        n = next(i for i, v in enumerate(values) if len(v) > MAX_STRING)
        raise InvalidReport(f"{what}[{n}].{field}: longer than {MAX_STRING} characters")
    return tuple(map(str.strip, values))


def _bounded_one(value: str, what: str, field: str) -> str:
    """bounded_column for a column whose rows all hold `value` (row 0 is the first offender)."""
    if "\x00" in value:
        raise InvalidReport(f"{what}[0].{field}: contains a NUL character")
    if len(value) > MAX_STRING:
        raise InvalidReport(f"{what}[0].{field}: longer than {MAX_STRING} characters")
    return value.strip()


def time_column(seconds: tuple[int, ...], nanos: tuple[int, ...], what: str, field: str,
                now: datetime) -> tuple[int | None, ...]:
    """One Timestamp column as microseconds since the epoch (None where unset), bounded as check_time.

    An unset or all-zero Timestamp means "not recorded" (None).
    """
    if not any(seconds) and not any(nanos):
        return (None,) * len(seconds)
    if min(nanos) < 0 or max(nanos) >= 1_000_000_000:
        n = next(i for i, x in enumerate(nanos) if not 0 <= x < 1_000_000_000)
        raise InvalidReport(f"{what}[{n}].{field}: nanos {nanos[n]} out of range")
    earliest = int(EARLIEST.timestamp())
    latest = int((now + MAX_CLOCK_SKEW).timestamp())
    pairs = tuple(zip(seconds, nanos, strict=True))
    if max(seconds) > latest or min(s if s or ns else earliest for s, ns in pairs) < earliest:
        n = next(i for i, (s, ns) in enumerate(pairs) if (s or ns) and not earliest <= s <= latest)
        raise InvalidReport(f"{what}[{n}].{field}: timestamp {seconds[n]}s since 1970 is implausible "
                            f"(collector time {now.isoformat()})")
    return tuple(s * 1_000_000 + ns // 1000 if s or ns else None for s, ns in pairs)


def _enum_ok(enum: EnumDescriptor, value: int) -> bool:
    return value in enum.values_by_number and value != 0


# What the walker does with a field, decided once per field descriptor (see _plan).
_NOTHING, _STRING, _ENUM, _INT, _MAP, _TIME, _MESSAGE = range(7)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to check one field: its kind above, its repeat limit and enum or integer bound."""

    kind: int
    limit: int
    enum: EnumDescriptor | None = None
    int_max: int = 0


_PLANS: dict[FieldDescriptor, _Plan] = {}


def _plan(field: FieldDescriptor) -> _Plan:
    """The check for a field, worked out from its descriptor on first sight and then cached:
    reports arrive by the thousand a second and their fields are always the same few dozen."""
    plan = _PLANS.get(field)
    if plan is not None:
        return plan
    key = ".".join(field.full_name.split(".")[-2:])  # "HostFacts.interfaces"
    limit = _LIMITS.get(key, MAX_REPEATED) if field.is_repeated else 0
    sub = field.message_type
    if field.type == FieldDescriptor.TYPE_STRING:
        plan = _Plan(_STRING, limit)
    elif field.type == FieldDescriptor.TYPE_ENUM and field.enum_type is not None:
        plan = _Plan(_ENUM, limit, enum=field.enum_type)
    elif field.type != FieldDescriptor.TYPE_MESSAGE or sub is None:
        plan = _Plan(_INT, limit, int_max=_INT_MAX[key]) if key in _INT_MAX else _Plan(_NOTHING, limit)
    elif sub.GetOptions().map_entry:
        plan = _Plan(_MAP, limit)
    elif sub.full_name == "google.protobuf.Timestamp":
        plan = _Plan(_TIME, limit)
    else:
        plan = _Plan(_NOTHING if sub.name in _SKIP else _MESSAGE, limit)
    _PLANS[field] = plan
    return plan


def _where(path: tuple[str | int, ...]) -> str:
    """("interfaces", 0, "name") -> "interfaces[0].name"; built only for an error message."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _walk(msg: Message, path: tuple[str | int, ...], now: datetime) -> None:
    for field, value in msg.ListFields():
        plan = _plan(field)
        kind = plan.kind
        repeated = field.is_repeated
        if repeated and len(value) > plan.limit:
            raise InvalidReport(f"{_where((*path, field.name))}: more than {plan.limit} entries")
        if kind == _NOTHING:
            continue
        values = value if repeated else (value,)
        if kind == _STRING:
            joined = "".join(values)
            if "\x00" in joined or (len(joined) > MAX_STRING and max(map(len, values)) > MAX_STRING):
                for n, text in enumerate(values):
                    where = _where((*path, field.name, n) if repeated else (*path, field.name))
                    if len(text) > MAX_STRING:
                        raise InvalidReport(f"{where}: longer than {MAX_STRING} characters")
                    if "\x00" in text:
                        raise InvalidReport(f"{where}: contains a NUL character")
        elif kind == _ENUM:
            enum_type = plan.enum
            assert enum_type is not None
            for number in values:
                if not _enum_ok(enum_type, number):
                    raise InvalidReport(f"{_where((*path, field.name))}: {number} is not a known {enum_type.name}")
        elif kind == _INT:
            for number in values:
                if number > plan.int_max:
                    raise InvalidReport(f"{_where((*path, field.name))}: {number} is larger than {plan.int_max}")
        elif kind == _MAP:
            # map<string, string>: ListFields() hands us a mapping, not messages.
            for map_key, map_value in value.items():
                for text in (map_key, map_value):
                    if isinstance(text, str) and (len(text) > MAX_STRING or "\x00" in text):
                        raise InvalidReport(f"{_where((*path, field.name))}[{str(map_key)[:64]!r}]: "
                                            "too long or contains a NUL")
        elif kind == _TIME:
            for ts in values:
                check_time(ts, (*path, field.name), now)
        elif repeated:
            for n, item in enumerate(values):
                _walk(item, (*path, field.name, n), now)
        else:
            _walk(value, (*path, field.name), now)


# Which report bodies each kind of source may send. An agent describes the machine it runs on; a
# scanner, what it saw on the wire. Without this, a key taken from any endpoint could forge sweeps:
# a scan result claiming 0.0.0.0/0 was covered completely turns every unseen record into a ghost.
BODIES_BY_KIND: dict[str, frozenset[str]] = {
    "agent": frozenset({"host_snapshot", "host_delta", "heartbeat"}),
    "scanner": frozenset({"scan", "heartbeat"}),
}


def check_body_kind(body: str | None, kind: str | None) -> str | None:
    """Why a source of this kind may not send this body (one line), or None when it may.

    A source whose kind is unknown may send nothing but heartbeats: fail closed."""
    allowed = BODIES_BY_KIND.get(kind or "", frozenset({"heartbeat"}))
    if body is None or body in allowed:
        return None
    what = " and ".join(sorted(allowed - {"heartbeat"})) or "nothing"
    return (f"a source enrolled as {kind or 'an unknown kind'} may not send {body} reports "
            f"(it may send {what} and heartbeats); enrol a {'scanner' if body == 'scan' else 'agent'} "
            f"under a source id of its own")


def check_report(report: report_pb2.Report, now: datetime) -> None:
    """Raise InvalidReport naming the first field that is out of bounds."""
    _refuse_retired_fields(report)
    _walk(report, (), now)


def _refuse_retired_fields(report: report_pb2.Report) -> None:
    """Refuse a host report that carries a software list in a retired PackedSoftware field.

    Protobuf keeps such a field as an unknown field of HostSnapshot/HostDelta; other unknown fields
    are a newer sender's additions and are ignored, as report.proto promises.
    """
    body = report.WhichOneof("body")
    retired = _RETIRED_PACKED.get(body or "")
    if retired is None:
        return
    unknown = UnknownFieldSet(getattr(report, body or ""))
    for n in range(len(unknown)):  # indexed: the type stubs declare no __iter__
        name = retired.get(unknown[n].field_number)
        if name is not None:
            raise InvalidReport(f"{body}.{name}: {RETIRED_PACKED_REASON}")

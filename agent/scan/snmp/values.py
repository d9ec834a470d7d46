"""Plain SNMP values as the MIB parsers read them, and the SNMPv2-TC conversions they need.

Values reaching the parsers are plain Python (see ber.py): bytes, int, Oid tuples, None or an
exception sentinel; SNMPv3 answers from pysnmp are converted by usm.plain() at that boundary.
Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from agent.scan.snmp import ber
from agent.scan.snmp.oids import Oid


@dataclass(slots=True)
class WalkResult:
    """Rows of one subtree, in order, plus a note when the walk was cut short."""

    rows: list[tuple[Oid, Any]] = field(default_factory=list)
    note: str = ""


def octets(value: Any) -> bytes:
    """An OCTET STRING value as bytes (pysnmp values through asOctets, anything else as its text)."""
    if isinstance(value, bytes):
        return value
    try:
        return bytes(value.asOctets())
    except AttributeError:
        return str(value).encode()


def text(value: Any) -> str:
    """DisplayString (RFC 2579) as text; NULs some agents append are dropped."""
    return octets(value).decode("utf-8", errors="replace").replace("\x00", "").strip()


def is_text(value: Any) -> bool:
    """An OCTET STRING of printable UTF-8 (trailing NULs and line breaks allowed, as agents send them): what a
    DisplayString holds, not a number nor binary octets such as a MAC's six bytes."""
    if not isinstance(value, bytes):
        return False
    try:
        decoded = value.rstrip(b"\x00").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\t\r\n" for c in decoded)


def as_int(value: Any) -> int:
    """An integer value, or 0 where the agent sent something else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def is_exception(value: Any) -> bool:
    """True for noSuchObject / noSuchInstance / endOfMibView (RFC 3416 §4.2.1)."""
    return isinstance(value, ber.EXCEPTION_TYPES) or type(value).__name__ in (
        "NoSuchObject", "NoSuchInstance", "EndOfMibView")


def oid_text(value: Any) -> str:
    """An OBJECT IDENTIFIER value in dotted form."""
    if isinstance(value, tuple):
        return dotted(value)
    return str(value.prettyPrint()) if hasattr(value, "prettyPrint") else str(value)


def parse_date_and_time(raw: bytes) -> datetime | None:
    """SNMPv2-TC DateAndTime (RFC 2579): 8 octets local time, or 11 with UTC offset.

    Returns None for the all-zero "unknown" value and anything malformed.
    """
    if len(raw) not in (8, 11):
        return None
    year = int.from_bytes(raw[0:2], "big")
    month, day, hour, minute, sec, deci = raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]
    tz = UTC
    if len(raw) == 11:
        sign = -1 if raw[8:9] == b"-" else 1
        tz = timezone(sign * timedelta(hours=raw[9], minutes=raw[10]))
    try:
        return datetime(year, month, day, hour, minute, min(sec, 59), deci * 100_000, tzinfo=tz)
    except ValueError:
        return None


def dotted(oid: Oid) -> str:
    """An OID as text, for notes and reasons."""
    return ".".join(str(x) for x in oid)


def rows_by_index(results: Sequence[WalkResult], entry: Oid) -> dict[Oid, dict[int, Any]]:
    """Rows keyed by index, then by column number, from column walks under `entry`."""
    rows: dict[Oid, dict[int, Any]] = {}
    n = len(entry)
    for wr in results:
        for oid, val in wr.rows:
            if len(oid) > n + 1:
                rows.setdefault(oid[n + 1:], {})[oid[n]] = val
    return rows

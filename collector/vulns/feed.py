"""Reading an OSV feed from disk: one JSON file, a directory of them, or OSV's zip archives.

OSV publishes each ecosystem's advisories as ``all.zip`` (one ``<ID>.json`` per advisory) beside
the individual files; users download those on a connected machine and carry them over. A path may
be a ``.json`` file (one record, or a list of records), a ``.zip`` archive of such files, or a
directory holding any of these (searched recursively, in name order).

Every problem is a one-line :class:`FeedProblem` naming the file (``all.zip:DSA-1-1.json``) and
the import goes on with the next record. Sizes are bounded (a member that would unpack past
:data:`MAX_RECORD_BYTES` is refused unread), so an archive cannot fill memory.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["MAX_RECORD_BYTES", "FeedProblem", "RawRecord", "read_feed"]

#: Largest JSON file (or archive member) read; OSV's biggest single records are a few hundred kB.
MAX_RECORD_BYTES: Final = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A decoded JSON value and where it came from."""

    origin: str
    value: object


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """A file or record that could not be read: where, and what is wrong (one line)."""

    origin: str
    problem: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.problem}"


def _decode(origin: str, data: bytes) -> Iterator[RawRecord | FeedProblem]:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        yield FeedProblem(origin, f"not UTF-8 text (byte {exc.start})")
        return
    except json.JSONDecodeError as exc:
        yield FeedProblem(origin, f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield RawRecord(f"{origin}[{index}]", item)
    else:
        yield RawRecord(origin, value)


def _read_zip(path: Path, label: str) -> Iterator[RawRecord | FeedProblem]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield FeedProblem(label, f"not a readable zip archive ({exc})")
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not info.filename.lower().endswith(".json"):
                continue
            origin = f"{label}:{info.filename}"
            if info.file_size > MAX_RECORD_BYTES:
                yield FeedProblem(origin, f"larger than {MAX_RECORD_BYTES // 2**20} MiB; not read")
                continue
            try:
                with archive.open(info) as fh:
                    data = fh.read(MAX_RECORD_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                yield FeedProblem(origin, f"cannot unpack ({exc})")
                continue
            yield from _decode(origin, data)


def _read_file(path: Path, label: str) -> Iterator[RawRecord | FeedProblem]:
    if path.suffix.lower() == ".zip":
        yield from _read_zip(path, label)
        return
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            yield FeedProblem(label, f"larger than {MAX_RECORD_BYTES // 2**20} MiB; not read")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield FeedProblem(label, f"cannot read: {exc.strerror or exc}")
        return
    yield from _decode(label, data)


def read_feed(path: Path) -> Iterator[RawRecord | FeedProblem]:
    """Every JSON value under ``path``, or a problem per unreadable file.

    Raises:
        FileNotFoundError: ``path`` does not exist (the caller turns it into a usage error).
    """
    if not path.exists():
        raise FileNotFoundError(str(path))
    if path.is_file():
        yield from _read_file(path, path.name)
        return
    for child in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".json", ".zip")):
        yield from _read_file(child, child.relative_to(path).as_posix())

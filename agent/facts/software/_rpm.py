"""Installed RPM packages, read from rpm's own database without the rpm library.

rpm >= 4.16 (Fedora 33+, RHEL 9, openSUSE since 2021) keeps its database in SQLite: table
`Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`, one header blob per package (rpm
lib/backend/sqlite.c). The blob is an rpm header without its 8-byte intro magic
(lib/header.c headerExport / doc/manual/format_header.md):

    int32 il     number of index entries      (big-endian, like every integer here)
    int32 dl     size of the data store
    il x { int32 tag, int32 type, int32 offset, int32 count }
    dl bytes of data

Strings are NUL-terminated at `offset`; INT32 values are `count` big-endian words at `offset`.
Older databases (Berkeley DB `Packages` on RHEL <= 8, ndb `Packages.db` on SUSE) are read via
the `rpm` command when it is installed and the root is this machine.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

from agent.errors import CollectionError
from agent.facts._fsutil import is_live
from agent.facts.model import SoftwareItem
from agent.facts.osinfo import distro_id
from agent.facts.software.base import purl

# rpm moved its database to /usr/lib/sysimage/rpm (Fedora 36, openSUSE); /var/lib/rpm is often a
# symlink to it, but either may be the only one present in an image.
DB_DIRS = (Path("var/lib/rpm"), Path("usr/lib/sysimage/rpm"))

# rpmtag.h
TAG_NAME = 1000
TAG_VERSION = 1001
TAG_RELEASE = 1002
TAG_EPOCH = 1003
TAG_INSTALLTIME = 1008
TAG_VENDOR = 1011
TAG_ARCH = 1022
TAG_SOURCERPM = 1044

# rpmTagType (rpmtag.h)
TYPE_INT32 = 4
TYPE_STRING = 6
TYPE_STRING_ARRAY = 8
TYPE_I18NSTRING = 9

_WANTED = frozenset({TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH, TAG_INSTALLTIME, TAG_VENDOR, TAG_ARCH,
                     TAG_SOURCERPM})
_ENTRY = struct.Struct(">iiii")


class HeaderError(ValueError):
    """A header blob is malformed (names the byte offset)."""


def parse_header(blob: bytes) -> dict[int, str | int]:
    """Decode the tags netcensus needs from one header blob.

    Returns:
        tag -> str for string tags (first element for arrays and i18n strings), int for INT32.

    Raises:
        HeaderError: the blob is shorter than its index and data store claim.
    """
    if len(blob) < 8:
        raise HeaderError(f"header of {len(blob)} bytes is shorter than its 8-byte preamble")
    il, dl = struct.unpack_from(">ii", blob, 0)
    store = 8 + il * _ENTRY.size
    if il < 0 or dl < 0 or store + dl > len(blob):
        raise HeaderError(f"header claims {il} entries and {dl} data bytes but has {len(blob)} bytes")
    data = blob[store : store + dl]
    tags: dict[int, str | int] = {}
    for i in range(il):
        tag, type_, offset, count = _ENTRY.unpack_from(blob, 8 + i * _ENTRY.size)
        if tag not in _WANTED:
            continue
        if not 0 <= offset < dl:
            raise HeaderError(f"tag {tag}: offset {offset} outside the {dl}-byte data store")
        if type_ in (TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING):
            end = data.find(b"\0", offset)
            if end < 0:
                raise HeaderError(f"tag {tag}: string at offset {offset} is not NUL-terminated")
            tags[tag] = data[offset:end].decode("utf-8", errors="replace")
        elif type_ == TYPE_INT32 and count >= 1 and offset + 4 <= dl:
            tags[tag] = struct.unpack_from(">I", data, offset)[0]
    return tags


def _source_name(sourcerpm: str) -> str:
    """"bash-5.1.8-6.el9.src.rpm" -> "bash": strip the suffix, then version and release."""
    stem = sourcerpm.removesuffix(".rpm").removesuffix(".src").removesuffix(".nosrc")
    parts = stem.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else ""


def item_from_tags(tags: dict[int, str | int], distro: str) -> SoftwareItem | None:
    """Build a SoftwareItem from decoded tags; None for gpg-pubkey pseudo-packages and nameless headers.

    `rpm --import` stores each trusted signing key as a fake package named gpg-pubkey; it is not
    software, so it is dropped.
    """
    name = str(tags.get(TAG_NAME, ""))
    if not name or name == "gpg-pubkey":
        return None
    version = str(tags.get(TAG_VERSION, ""))
    release = str(tags.get(TAG_RELEASE, ""))
    epoch = tags.get(TAG_EPOCH)
    evr = f"{version}-{release}" if release else version
    full = f"{epoch}:{evr}" if epoch is not None else evr
    arch = str(tags.get(TAG_ARCH, ""))
    installtime = tags.get(TAG_INSTALLTIME)
    return SoftwareItem(
        name=name,
        version=full,
        source="rpm",
        vendor=str(tags.get(TAG_VENDOR, "")),
        arch=arch,
        source_package=_source_name(str(tags.get(TAG_SOURCERPM, ""))),
        installed_at=datetime.fromtimestamp(installtime, tz=UTC) if isinstance(installtime, int) else None,
        # purl-spec rpm type: version is "version-release", epoch goes in a qualifier.
        purl=purl("rpm", name, evr, namespace=distro,
                  qualifiers={"arch": arch, "epoch": "" if epoch is None else str(epoch)}),
    )


def read_sqlite(path: Path, distro: str) -> list[SoftwareItem]:
    """All packages of an rpmdb.sqlite file, opened read-only.

    Raises:
        CollectionError: the file is not an rpm SQLite database or a header is damaged.
    """
    import sqlite3  # only where there is an rpm database

    # mode=ro never writes; if the database is in WAL mode and its -shm cannot be created (a
    # read-only image), SQLite refuses, and immutable=1 (no locking, no WAL) is the fallback.
    blobs: list[bytes] = []
    last_error: sqlite3.Error | None = None
    for params in ("mode=ro", "immutable=1"):
        try:
            with sqlite3.connect(f"{path.resolve().as_uri()}?{params}", uri=True) as conn:
                blobs = [bytes(row[0]) for row in conn.execute("SELECT blob FROM Packages ORDER BY hnum")]
            last_error = None
            break
        except sqlite3.Error as exc:
            last_error = exc
    if last_error is not None:
        raise CollectionError(f"{path}: cannot read rpm database: {last_error}") from last_error
    items: list[SoftwareItem] = []
    for number, blob in enumerate(blobs, start=1):
        try:
            item = item_from_tags(parse_header(blob), distro)
        except HeaderError as exc:
            raise CollectionError(f"{path}: package header {number}: {exc}") from exc
        if item is not None:
            items.append(item)
    return items


# Tab-separated so that vendor strings with spaces survive; (none) is rpm's "tag absent".
_QUERYFORMAT = "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{VENDOR}\\t%{INSTALLTIME}\\t%{SOURCERPM}\\n"


def read_with_cli(distro: str, timeout_s: float = 60.0) -> list[SoftwareItem]:
    """Ask the installed `rpm` command (any backend) for every package."""
    import subprocess

    try:
        done = subprocess.run(["rpm", "-qa", "--queryformat", _QUERYFORMAT], capture_output=True,
                              timeout=timeout_s, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise CollectionError(f"rpm -qa failed: {exc}") from exc
    items: list[SoftwareItem] = []
    for line in done.stdout.decode("utf-8", errors="replace").splitlines():
        cols = line.split("\t")
        if len(cols) != 8:
            continue
        tags: dict[int, str | int] = {}
        for tag, value in zip((TAG_NAME, TAG_EPOCH, TAG_VERSION, TAG_RELEASE, TAG_ARCH, TAG_VENDOR,
                               TAG_INSTALLTIME, TAG_SOURCERPM), cols, strict=True):
            if value == "(none)":
                continue
            tags[tag] = int(value) if tag in (TAG_EPOCH, TAG_INSTALLTIME) and value.isdigit() else value
        item = item_from_tags(tags, distro)
        if item is not None:
            items.append(item)
    return items


class RpmSource:
    """Red Hat, Fedora, SUSE packages."""

    name = "rpm"
    libraries = False

    def is_present(self, root: Path) -> bool:
        """An rpm database directory holding any database file."""
        return any(
            (root / d / f).exists() for d in DB_DIRS for f in ("rpmdb.sqlite", "Packages", "Packages.db")
        )

    def collect(self, root: Path) -> list[SoftwareItem]:
        """Read rpmdb.sqlite directly; other backends through the rpm CLI on the live machine."""
        distro = distro_id(root)
        for directory in DB_DIRS:
            sqlite_path = root / directory / "rpmdb.sqlite"
            if sqlite_path.is_file():
                return read_sqlite(sqlite_path, distro)
        if is_live(root):
            return read_with_cli(distro)
        raise CollectionError(
            f"{root / DB_DIRS[0]}: Berkeley DB/ndb rpm database needs the rpm command on the live system"
        )

"""rpm header blobs and rpmdb.sqlite: headers written by the test, and a database rpm 4.18 wrote."""

from __future__ import annotations

import shutil
import sqlite3
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.errors import CollectionError
from agent.facts.software._rpm import (
    TAG_ARCH,
    TAG_EPOCH,
    TAG_INSTALLTIME,
    TAG_NAME,
    TAG_RELEASE,
    TAG_SOURCERPM,
    TAG_VENDOR,
    TAG_VERSION,
    HeaderError,
    RpmSource,
    parse_header,
)

TYPE_INT32, TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING = 4, 6, 8, 9
TAG_SUMMARY, TAG_DIRNAMES = 1004, 1118


def build_header(entries: list[tuple[int, int, str | int | list[str]]]) -> bytes:
    """Serialise (tag, type, value) triples the way rpm's headerExport does (no intro magic)."""
    index = b""
    store = b""
    for tag, type_, value in entries:
        if type_ == TYPE_INT32:
            store += b"\0" * (-len(store) % 4)  # INT32 data is 4-byte aligned
            offset, count = len(store), 1
            store += struct.pack(">I", value)
        else:
            strings = value if isinstance(value, list) else [str(value)]
            offset, count = len(store), len(strings)
            store += b"".join(s.encode() + b"\0" for s in strings)
        index += struct.pack(">iiii", tag, type_, offset, count)
    return struct.pack(">ii", len(entries), len(store)) + index + store


def make_db(path: Path, blobs: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        # The schema rpm's sqlite backend creates (lib/backend/sqlite.c).
        conn.execute("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)")
        conn.executemany("INSERT INTO Packages (blob) VALUES (?)", [(b,) for b in blobs])
    conn.close()


def bash_header() -> bytes:
    return build_header([
        (TAG_NAME, TYPE_STRING, "bash"),
        (TAG_VERSION, TYPE_STRING, "5.1.8"),
        (TAG_RELEASE, TYPE_STRING, "9.el9"),
        (TAG_SUMMARY, TYPE_I18NSTRING, ["The GNU Bourne Again shell"]),
        (TAG_INSTALLTIME, TYPE_INT32, 1_700_000_000),
        (TAG_VENDOR, TYPE_STRING, "Rocky Enterprise Software Foundation"),
        (TAG_ARCH, TYPE_STRING, "x86_64"),
        (TAG_DIRNAMES, TYPE_STRING_ARRAY, ["/usr/bin/", "/usr/share/doc/bash/"]),
        (TAG_SOURCERPM, TYPE_STRING, "bash-5.1.8-9.el9.src.rpm"),
    ])


def test_parse_header_tags() -> None:
    tags = parse_header(bash_header())
    assert tags[TAG_NAME] == "bash"
    assert tags[TAG_INSTALLTIME] == 1_700_000_000
    assert tags[TAG_SOURCERPM] == "bash-5.1.8-9.el9.src.rpm"
    assert TAG_EPOCH not in tags


@pytest.mark.parametrize("cut", [0, 7, 20, 60])
def test_truncated_header_is_an_error(cut: int) -> None:
    with pytest.raises(HeaderError):
        parse_header(bash_header()[:cut])


def test_sqlite_db_with_written_headers(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text('NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\n')
    shadow = build_header([
        (TAG_NAME, TYPE_STRING, "shadow-utils"),
        (TAG_EPOCH, TYPE_INT32, 2),
        (TAG_VERSION, TYPE_STRING, "4.9"),
        (TAG_RELEASE, TYPE_STRING, "8.el9"),
        (TAG_ARCH, TYPE_STRING, "x86_64"),
        (TAG_SOURCERPM, TYPE_STRING, "shadow-utils-4.9-8.el9.src.rpm"),
    ])
    pubkey = build_header([
        (TAG_NAME, TYPE_STRING, "gpg-pubkey"),
        (TAG_VERSION, TYPE_STRING, "350d275d"),
        (TAG_RELEASE, TYPE_STRING, "6243ebc2"),
    ])
    make_db(tmp_path / "var/lib/rpm/rpmdb.sqlite", [bash_header(), pubkey, shadow])
    source = RpmSource()
    assert source.is_present(tmp_path)
    bash, shadow_item = source.collect(tmp_path)
    assert (bash.name, bash.version, bash.arch, bash.source) == ("bash", "5.1.8-9.el9", "x86_64", "rpm")
    assert bash.vendor == "Rocky Enterprise Software Foundation"
    assert bash.source_package == "bash"
    assert bash.installed_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert bash.purl == "pkg:rpm/rocky/bash@5.1.8-9.el9?arch=x86_64"
    assert shadow_item.version == "2:4.9-8.el9"
    assert shadow_item.purl == "pkg:rpm/rocky/shadow-utils@4.9-8.el9?arch=x86_64&epoch=2"
    assert shadow_item.installed_at is None


def test_damaged_header_fails_whole_source(tmp_path: Path) -> None:
    make_db(tmp_path / "usr/lib/sysimage/rpm/rpmdb.sqlite", [bash_header(), bash_header()[:30]])
    with pytest.raises(CollectionError, match="package header 2"):
        RpmSource().collect(tmp_path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "var/lib/rpm/rpmdb.sqlite"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CollectionError, match="cannot read rpm database"):
        RpmSource().collect(tmp_path)


def test_berkeley_db_on_recorded_root_is_failed(tmp_path: Path) -> None:
    (tmp_path / "var/lib/rpm").mkdir(parents=True)
    (tmp_path / "var/lib/rpm/Packages").write_bytes(b"\0" * 4096)
    assert RpmSource().is_present(tmp_path)
    with pytest.raises(CollectionError, match="Berkeley DB"):
        RpmSource().collect(tmp_path)


def test_absent(tmp_path: Path) -> None:
    (tmp_path / "var/lib/rpm").mkdir(parents=True)  # Debian's rpm package leaves an empty dir
    assert not RpmSource().is_present(tmp_path)


def test_database_written_by_rpm(tmp_path: Path, data_dir: Path) -> None:
    # rpm 4.18 (Debian's package) built two empty packages and installed them with
    # `rpm --root R --dbpath /var/lib/rpm --define '_db_backend sqlite' -i --justdb`;
    # `rpm -qa` on it printed the values asserted below.
    target = tmp_path / "var/lib/rpm"
    target.mkdir(parents=True)
    shutil.copy(data_dir / "rpm/rpmdb.sqlite", target / "rpmdb.sqlite")
    items = {i.name: i for i in RpmSource().collect(tmp_path)}
    assert set(items) == {"hello-netcensus", "openssl-libs"}
    hello = items["hello-netcensus"]
    assert (hello.version, hello.arch, hello.vendor) == ("2:2.12.1-3.fc40", "noarch", "Fedora Project")
    assert hello.installed_at == datetime.fromtimestamp(1795580457, tz=UTC)
    ssl = items["openssl-libs"]
    assert (ssl.version, ssl.arch) == ("3.0.7-27.el9", "x86_64")
    assert ssl.vendor == "Rocky Enterprise Software Foundation"
    assert ssl.source_package == "openssl-libs"

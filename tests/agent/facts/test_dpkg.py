"""dpkg status parsing against a fixture built from real bookworm stanzas plus the awkward states."""

from __future__ import annotations

import logging
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.errors import CollectionError
from agent.facts.software._dpkg import DpkgSource, parse_status

INSTALLED = {
    ("bash", "amd64"),
    ("bsdutils", "amd64"),
    ("libc6", "amd64"),
    ("libc6", "i386"),
    ("zlib1g", "amd64"),
    ("dbus", "amd64"),
    ("git", "amd64"),
    ("tzdata", "all"),
    ("libgcc-s1", "amd64"),
    ("ca-certificates-java", "all"),
    ("firefox-esr", "amd64"),  # hold ok installed: held, but on disk
    ("man-db", "amd64"),  # triggers-pending: configured, triggers queued
    ("xfonts-bolkhov-koi8r-75dpi", "all"),
}


def _root(tmp_path: Path, data_dir: Path, status: bytes | None = None) -> Path:
    dpkg = tmp_path / "var/lib/dpkg"
    (dpkg / "info").mkdir(parents=True)
    if status is None:
        shutil.copy(data_dir / "dpkg-status", dpkg / "status")
    else:
        (dpkg / "status").write_bytes(status)
    return tmp_path


def test_only_installed_states_are_reported(tmp_path: Path, data_dir: Path) -> None:
    items = DpkgSource().collect(_root(tmp_path, data_dir))
    assert {(i.name, i.arch) for i in items} == INSTALLED
    names = {i.name for i in items}
    # config-files, half-installed, not-installed and unpacked are not installs.
    assert names.isdisjoint({"libssl1.1", "linux-image-6.1.0-18-amd64", "teamviewer", "nginx-core"})
    assert all(i.source == "deb" for i in items)


def test_fields_epochs_tildes_and_source(tmp_path: Path, data_dir: Path) -> None:
    items = {(i.name, i.arch): i for i in DpkgSource().collect(_root(tmp_path, data_dir))}
    bsdutils = items["bsdutils", "amd64"]
    assert bsdutils.version == "1:2.38.1-5+deb12u3"
    assert bsdutils.source_package == "util-linux"  # "Source: util-linux (2.38.1-5+deb12u3)"
    assert bsdutils.purl == "pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bdeb12u3?arch=amd64"
    dbus = items["dbus", "amd64"]
    assert dbus.version == "1.14.10-1~deb12u1"
    assert dbus.source_package == "dbus"  # no Source field: source is the package itself
    assert dbus.purl == "pkg:deb/debian/dbus@1.14.10-1~deb12u1?arch=amd64"
    assert items["bash", "amd64"].vendor == "Matthias Klose <doko@debian.org>"
    assert items["libc6", "i386"].source_package == "glibc"
    assert items["libc6", "i386"].purl.endswith("?arch=i386")


def test_non_utf8_maintainer_is_replaced_not_fatal(tmp_path: Path, data_dir: Path) -> None:
    items = {i.name: i for i in DpkgSource().collect(_root(tmp_path, data_dir))}
    vendor = items["xfonts-bolkhov-koi8r-75dpi"].vendor
    assert vendor.startswith("Eugene Minkovskii <Ren")
    assert "\ufffd" in vendor


def test_install_time_from_list_mtime_multiarch_aware(tmp_path: Path, data_dir: Path) -> None:
    root = _root(tmp_path, data_dir)
    info = root / "var/lib/dpkg/info"
    stamps = {"bash.list": 1_700_000_000, "libc6:amd64.list": 1_710_000_000, "libc6:i386.list": 1_720_000_000}
    for name, stamp in stamps.items():
        (info / name).write_text("/.\n")
        os.utime(info / name, (stamp, stamp))
    items = {(i.name, i.arch): i for i in DpkgSource().collect(root)}
    assert items["bash", "amd64"].installed_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert items["libc6", "amd64"].installed_at == datetime.fromtimestamp(1_710_000_000, tz=UTC)
    assert items["libc6", "i386"].installed_at == datetime.fromtimestamp(1_720_000_000, tz=UTC)
    assert items["git", "amd64"].installed_at is None


def test_purl_namespace_follows_os_release(tmp_path: Path, data_dir: Path) -> None:
    root = _root(tmp_path, data_dir)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\n')
    items = DpkgSource().collect(root)
    assert all(i.purl.startswith("pkg:deb/ubuntu/") for i in items)


def test_truncated_file_keeps_complete_stanzas(
    tmp_path: Path, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    full = (data_dir / "dpkg-status").read_bytes()
    # Cut inside the tzdata stanza, before its Version line: what a full disk leaves behind.
    cut = full.index(b"Package: tzdata") + 40
    with caplog.at_level(logging.WARNING):
        items = DpkgSource().collect(_root(tmp_path, data_dir, full[:cut]))
    assert [i.name for i in items] == ["bash", "bsdutils", "libc6", "libc6", "zlib1g", "dbus", "git"]
    assert "incomplete stanza" in caplog.text


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_database_fails_rather_than_reporting_nothing(
    tmp_path: Path, data_dir: Path, content: bytes
) -> None:
    with pytest.raises(CollectionError, match="empty"):
        DpkgSource().collect(_root(tmp_path, data_dir, content))


def test_missing_database_fails_with_path(tmp_path: Path) -> None:
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    source = DpkgSource()
    assert source.is_present(tmp_path)
    with pytest.raises(CollectionError, match="var/lib/dpkg/status"):
        source.collect(tmp_path)


def test_not_present_without_dpkg(tmp_path: Path) -> None:
    assert not DpkgSource().is_present(tmp_path)


def test_continuation_lines_never_read_as_fields() -> None:
    text = (
        "Package: trap\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n"
        "Description: a package whose description quotes fields\n"
        " Package: evil\n Version: 9.9\n Status: install ok installed\n"
        "Maintainer: Real Maint <r@example.org>\n"
    )
    [item] = parse_status(text)
    assert (item.name, item.version, item.vendor) == ("trap", "1.0", "Real Maint <r@example.org>")


def test_parses_700_packages_in_milliseconds(data_dir: Path) -> None:
    stanza = (data_dir / "dpkg-status").read_text(errors="replace").split("\n\n")[0]
    text = "\n\n".join(stanza.replace("Package: bash", f"Package: pkg{n}") for n in range(700)) + "\n"
    best = min(_timed(text) for _ in range(3))
    assert len(parse_status(text)) == 700
    assert best < 0.05, f"parsing 700 stanzas took {best * 1000:.1f} ms"


def _timed(text: str) -> float:
    start = time.perf_counter()
    parse_status(text)
    return time.perf_counter() - start

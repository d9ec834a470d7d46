"""pip, snap, flatpak, npm, Windows registry exports and macOS bundles/receipts from recorded trees."""

from __future__ import annotations

import json
import os
import plistlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.errors import CollectionError
from agent.facts.collect import collect_inventory
from agent.facts.model import CollectorState, SoftwareItem
from agent.facts.security import protection
from agent.facts.software._flatpak import FlatpakSource, parse_metainfo
from agent.facts.software._macos import MacosAppSource, PkgutilSource
from agent.facts.software._npm import NpmSource
from agent.facts.software._pip import PipSource
from agent.facts.software._snap import SnapSource, parse_snap_yaml
from agent.facts.software._windows import WindowsSource, decode_reg_file, parse_reg
from agent.facts.software.base import purl
from agent.facts.software.registry import product_source_names, source_names


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def by_name(items: list[SoftwareItem]) -> dict[str, SoftwareItem]:
    return {i.name: i for i in items}


# --- purl -------------------------------------------------------------------------------------

def test_purl_encoding() -> None:
    assert purl("deb", "libc6", "2.36-9+deb12u4", namespace="debian", qualifiers={"arch": "amd64"}) == (
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64"
    )
    assert purl("npm", "cli", "10.5.0", namespace="@angular") == "pkg:npm/%40angular/cli@10.5.0"
    assert purl("rpm", "bash", "5.1-1", qualifiers={"epoch": "", "arch": "x86_64"}) == "pkg:rpm/bash@5.1-1?arch=x86_64"
    assert purl("pypi", "requests") == "pkg:pypi/requests"


def test_registry_names() -> None:
    # Each collector is named after the package source of its items (the collector relies on it).
    assert source_names() == ("deb", "rpm", "pip", "snap", "flatpak", "npm", "msi", "macos-app", "pkgutil")


def test_product_sources_leave_out_language_libraries() -> None:
    # Endpoint-protection detection reads only these: pip's "falcon" is a web framework, not a sensor.
    assert product_source_names() == frozenset({"deb", "rpm", "snap", "flatpak", "msi", "macos-app", "pkgutil"})
    assert product_source_names() == protection.OS_PACKAGE_SOURCES


# --- pip --------------------------------------------------------------------------------------

METADATA = """Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: something
Author: {author}
License: MIT

Long description that mentions
Name: not-a-field
"""


def test_pip_system_and_user_site(tmp_path: Path) -> None:
    sys_site = tmp_path / "usr/lib/python3/dist-packages"
    write(sys_site / "requests-2.28.1.egg-info/PKG-INFO", METADATA.format(name="requests", version="2.28.1",
                                                                          author="Kenneth Reitz"))
    local = tmp_path / "usr/local/lib/python3.11/dist-packages"
    record = write(local / "Flask_Login-0.6.3.dist-info/RECORD", "flask_login/__init__.py,,\n")
    os.utime(record, (1_700_000_000, 1_700_000_000))
    write(local / "Flask_Login-0.6.3.dist-info/METADATA", METADATA.format(name="Flask_Login", version="0.6.3",
                                                                          author="Matthew Frazier"))
    user = tmp_path / "home/alice/.local/lib/python3.11/site-packages"
    write(user / "black-24.3.0.dist-info/METADATA", METADATA.format(name="black", version="24.3.0",
                                                                   author="Łukasz Langa"))
    write(user / "broken-1.0.dist-info/RECORD", "")  # METADATA missing: half-uninstalled
    write(user / "legacy.egg-info", METADATA.format(name="legacy", version="0.9", author="someone"))
    write(user / "not_a_dist/__init__.py", "")

    source = PipSource()
    assert source.is_present(tmp_path)
    items = by_name(source.collect(tmp_path))
    assert set(items) == {"requests", "Flask_Login", "black", "legacy"}
    flask = items["Flask_Login"]
    assert (flask.version, flask.source, flask.vendor) == ("0.6.3", "pip", "Matthew Frazier")
    assert flask.purl == "pkg:pypi/flask-login@0.6.3"
    assert flask.installed_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert items["black"].vendor == "Łukasz Langa"


def test_pip_absent(tmp_path: Path) -> None:
    assert not PipSource().is_present(tmp_path)


# --- snap -------------------------------------------------------------------------------------

SNAP_YAML = """name: {name}
version: '{version}'
summary: test
architectures:
  - amd64
apps:
  {name}:
    command: bin/{name}
    version: not-this-one
"""


def test_snap_state_and_mounted_metadata(tmp_path: Path, data_dir: Path) -> None:
    write(tmp_path / "var/lib/snapd/state.json", (data_dir / "snap/state.json").read_bytes())
    write(tmp_path / "snap/firefox/4090/meta/snap.yaml", SNAP_YAML.format(name="firefox", version="124.0.2-1"))
    write(tmp_path / "snap/firefox/4033/meta/snap.yaml", SNAP_YAML.format(name="firefox", version="123.0-1"))
    write(tmp_path / "snap/core22/1122/meta/snap.yaml", "name: core22\nversion: 20240111\narchitectures: [amd64]\n")
    blob = write(tmp_path / "var/lib/snapd/snaps/firefox_4090.snap", b"hsqs")
    os.utime(blob, (1_711_620_000, 1_711_620_000))
    items = by_name(SnapSource().collect(tmp_path))
    assert set(items) == {"core22", "firefox", "snapd", "hello-local"}
    firefox = items["firefox"]
    assert (firefox.version, firefox.arch, firefox.source) == ("124.0.2-1", "amd64", "snap")
    assert firefox.installed_at == datetime.fromtimestamp(1_711_620_000, tz=UTC)
    assert firefox.purl == "pkg:generic/snap/firefox@124.0.2-1?revision=4090"
    assert items["core22"].version == "20240111"
    assert items["snapd"].version == ""  # state says installed, squashfs not mounted in the image


def test_snap_without_state_uses_current_links(tmp_path: Path) -> None:
    write(tmp_path / "snap/lxd/27037/meta/snap.yaml", SNAP_YAML.format(name="lxd", version="5.21.1-2d13beb"))
    (tmp_path / "snap/lxd/current").symlink_to("27037")
    source = SnapSource()
    assert source.is_present(tmp_path)
    [lxd] = source.collect(tmp_path)
    assert (lxd.name, lxd.version) == ("lxd", "5.21.1-2d13beb")


def test_snap_corrupt_state_fails(tmp_path: Path) -> None:
    write(tmp_path / "var/lib/snapd/state.json", '{"data": {"snaps": {')
    with pytest.raises(CollectionError, match=r"state\.json"):
        SnapSource().collect(tmp_path)


def test_snap_yaml_flow_and_block_lists() -> None:
    assert parse_snap_yaml("name: a\nversion: \"1.0\"\narchitectures: [arm64, amd64]\n")["architectures"] == [
        "arm64", "amd64"]
    assert parse_snap_yaml(SNAP_YAML.format(name="x", version="2"))["version"] == "2"


# --- flatpak ----------------------------------------------------------------------------------

METAINFO = """<?xml version="1.0" encoding="UTF-8"?>
<component type="desktop-application">
  <id>org.mozilla.Thunderbird</id>
  <name>Thunderbird</name>
  <name xml:lang="de">Thunderbird-Mail</name>
  <developer_name>Mozilla</developer_name>
  <releases>
    <release version="115.9.0" date="2024-03-19"/>
    <release version="115.8.1" date="2024-03-05"/>
  </releases>
</component>
"""


def test_flatpak_apps_and_runtimes(tmp_path: Path) -> None:
    inst = tmp_path / "var/lib/flatpak"
    app = inst / "app/org.mozilla.Thunderbird/x86_64/stable/9f1c2e0a"
    write(app / "metadata",
          "[Application]\nname=org.mozilla.Thunderbird\nruntime=org.freedesktop.Platform/x86_64/23.08\n")
    write(app / "files/share/metainfo/org.mozilla.Thunderbird.metainfo.xml", METAINFO)
    deploy = write(app / "deploy", b"\0")
    os.utime(deploy, (1_711_000_000, 1_711_000_000))
    (inst / "app/org.mozilla.Thunderbird/x86_64/stable/active").symlink_to("9f1c2e0a")
    (inst / "app/org.mozilla.Thunderbird/current").symlink_to("x86_64/stable")
    runtime = inst / "runtime/org.freedesktop.Platform/x86_64/23.08/4b7e"
    write(runtime / "metadata", "[Runtime]\nname=org.freedesktop.Platform\n")
    (inst / "runtime/org.freedesktop.Platform/x86_64/23.08/active").symlink_to("4b7e")
    user_app = tmp_path / "home/bob/.local/share/flatpak/app/com.example.NoMeta/aarch64/beta/abc"
    write(user_app / "metadata", "[Application]\nname=com.example.NoMeta\n")
    (user_app.parent / "active").symlink_to("abc")

    source = FlatpakSource()
    assert source.is_present(tmp_path)
    items = by_name(source.collect(tmp_path))
    tb = items["org.mozilla.Thunderbird"]
    assert (tb.version, tb.vendor, tb.arch, tb.source) == ("115.9.0", "Mozilla", "x86_64", "flatpak")
    assert tb.installed_at == datetime.fromtimestamp(1_711_000_000, tz=UTC)
    assert tb.purl == "pkg:generic/flatpak/org.mozilla.Thunderbird@115.9.0?arch=x86_64&branch=stable"
    assert items["org.freedesktop.Platform"].version == "23.08"
    assert (items["com.example.NoMeta"].version, items["com.example.NoMeta"].arch) == ("", "aarch64")


def test_metainfo_garbage_is_empty() -> None:
    assert parse_metainfo(b"<component><name>x</name>").version == ""
    assert parse_metainfo(METAINFO.encode()).name == "Thunderbird"


# --- npm --------------------------------------------------------------------------------------

def test_npm_global_packages(tmp_path: Path) -> None:
    mods = tmp_path / "usr/local/lib/node_modules"
    write(mods / "npm/package.json", json.dumps({"name": "npm", "version": "10.5.0", "author": "GitHub Inc."}))
    write(mods / "@angular/cli/package.json", json.dumps(
        {"name": "@angular/cli", "version": "17.3.2", "author": {"name": "Angular Authors", "email": "x@y"}}))
    write(mods / "broken/package.json", "{not json")
    write(mods / ".bin/ng", "")
    write(tmp_path / "usr/lib/node_modules/corepack/package.json",
          json.dumps({"name": "corepack", "version": "0.25.2"}))
    items = by_name(NpmSource().collect(tmp_path))
    assert set(items) == {"npm", "@angular/cli", "corepack"}
    assert items["@angular/cli"].vendor == "Angular Authors"
    assert items["@angular/cli"].purl == "pkg:npm/%40angular/cli@17.3.2"
    assert items["npm"].vendor == "GitHub Inc."
    assert items["npm"].source == "npm"


# --- Windows ----------------------------------------------------------------------------------

@pytest.fixture
def windows_root(tmp_path: Path, data_dir: Path) -> Path:
    target = tmp_path / "registry"
    target.mkdir()
    shutil.copy(data_dir / "windows/uninstall.reg", target / "uninstall.reg")
    return tmp_path


def test_windows_reg_export(windows_root: Path) -> None:
    source = WindowsSource()
    assert source.is_present(windows_root)
    items = by_name(source.collect(windows_root))
    assert set(items) == {
        "7-Zip 23.01 (x64)", "Microsoft Update Health Tools", "Mozilla Firefox (x64 en-US)",
        "Notepad++ (32-bit x86)", "TeamViewer", "Zoom Workplace (User)", "Spotify",
    }
    # SystemComponent=1, ParentKeyName updates, keys without DisplayName and deleted keys are hidden.
    teamviewer = items["TeamViewer"]
    assert (teamviewer.version, teamviewer.vendor, teamviewer.arch, teamviewer.source) == (
        "15.51.5", "TeamViewer", "x86", "msi")
    assert teamviewer.installed_at == datetime(2024, 2, 19, tzinfo=UTC)
    assert items["Notepad++ (32-bit x86)"].installed_at is None  # "2024/03/02" is not the documented form
    assert items["Spotify"].vendor == "Spotify AB"  # DisplayName stored as hex(2), per-user hive
    assert items["7-Zip 23.01 (x64)"].arch == ""


def test_reg_parser_values(data_dir: Path) -> None:
    tree = parse_reg(decode_reg_file((data_dir / "windows/uninstall.reg").read_bytes()))
    zoom = next(v for k, v in tree.items() if k.endswith("\\ZoomUMX"))
    assert zoom["installlocation"] == "%APPDATA%\\Zoom\\bin"  # hex(2) continued over lines
    spotify = next(v for k, v in tree.items() if k.endswith("\\Spotify"))
    assert spotify["comment"] == 'Says "hi" with quotes; = and \\ inside'
    seven = next(v for k, v in tree.items() if k.endswith("\\7-Zip"))
    assert seven["estimatedsize"] == 0x165C
    assert seven["uninstallstring"] == '"C:\\Program Files\\7-Zip\\Uninstall.exe"'
    assert not any(k.endswith("Removed Tool") for k in tree)


def test_regedit4_ansi_export() -> None:
    text = (
        "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Caf\xe9]\r\n"
        '"DisplayName"="Caf\xe9 Tool"\r\n"DisplayVersion"="1.0"\r\n"Publisher"=-\r\n'
    ).encode("cp1252")
    [values] = [v for v in parse_reg(decode_reg_file(text)).values() if v]
    assert values == {"displayname": "Café Tool", "displayversion": "1.0"}


# --- macOS ------------------------------------------------------------------------------------

def test_macos_apps_and_receipts(tmp_path: Path) -> None:
    write(tmp_path / "Applications/Slack.app/Contents/Info.plist", plistlib.dumps({
        "CFBundleName": "Slack", "CFBundleShortVersionString": "4.37.101", "CFBundleVersion": "437101",
        "CFBundleIdentifier": "com.tinyspeck.slackmacgap"}, fmt=plistlib.FMT_BINARY))
    write(tmp_path / "Applications/Utilities/Tool.app/Contents/Info.plist", plistlib.dumps({
        "CFBundleIdentifier": "com.example.tool"}))
    write(tmp_path / "Applications/Broken.app/Contents/Info.plist", b"not a plist")
    write(tmp_path / "var/db/receipts/com.microsoft.package.Microsoft_Word.app.plist", plistlib.dumps({
        "PackageIdentifier": "com.microsoft.package.Microsoft_Word.app", "PackageVersion": "16.83.24031120",
        "InstallDate": datetime(2024, 3, 20, 9, 30), "InstallProcessName": "installer"}))
    write(tmp_path / "var/db/receipts/com.microsoft.package.Microsoft_Word.app.bom", b"BOMStore")

    apps, receipts = MacosAppSource(), PkgutilSource()
    assert apps.is_present(tmp_path)
    assert receipts.is_present(tmp_path)
    items = by_name(apps.collect(tmp_path) + receipts.collect(tmp_path))
    assert {i.source for i in apps.collect(tmp_path)} == {"macos-app"}
    assert {i.source for i in receipts.collect(tmp_path)} == {"pkgutil"}
    assert set(items) == {"Slack", "Tool", "com.microsoft.package.Microsoft_Word.app"}
    slack = items["Slack"]
    assert (slack.version, slack.source) == ("4.37.101", "macos-app")
    assert slack.purl == "pkg:generic/macos/com.tinyspeck.slackmacgap@4.37.101"
    assert items["Tool"].version == ""  # bundle without a version
    word = items["com.microsoft.package.Microsoft_Word.app"]
    assert (word.version, word.source) == ("16.83.24031120", "pkgutil")
    assert word.installed_at == datetime(2024, 3, 20, 9, 30, tzinfo=UTC)


# --- through collect_inventory ----------------------------------------------------------------

def test_all_sources_report_status(windows_root: Path) -> None:
    inv = collect_inventory(windows_root, facts=[])
    states = {s.name: (s.state, s.items) for s in inv.collectors}
    assert states["msi"] == (CollectorState.OK, 7)
    for name in ("deb", "rpm", "pip", "snap", "flatpak", "npm", "macos-app", "pkgutil"):
        assert states[name] == (CollectorState.SKIPPED, 0), name


def test_snap_yaml_reader_never_expands_aliases() -> None:
    """Issue #14: the agent's only YAML (snap.yaml) goes through a line reader, so an alias stays text."""
    from agent.facts.software._snap import parse_snap_yaml

    text = "name: &n evil\nversion: *n\narchitectures: [*n, *n]\n" + "x: &a [*n, *n]\n" * 50
    assert parse_snap_yaml(text) == {"name": "&n evil", "version": "*n", "architectures": ["*n", "*n"]}

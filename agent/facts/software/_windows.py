"""Windows installed programs: the registry's Uninstall keys, as "Programs and Features" lists them.

Installers register under
    HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\<product>         (64-bit view)
    HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\<product> (32-bit)
    HKU\\<SID>\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\<product>    (per user)
with DisplayName, DisplayVersion, Publisher and InstallDate (REG_SZ "YYYYMMDD") values
(learn.microsoft.com, "Uninstall Registry Key"). Like Programs and Features, entries without a
DisplayName, SystemComponent=1 entries and updates attached to a parent product
(ParentKeyName / ReleaseType) are hidden.

On Windows the live registry is read with winreg. Everywhere else, and in tests, the same
logic runs over `reg export` files (".reg", Registry Editor format 5.00 or REGEDIT4) placed at
<root>/registry/*.reg, which is also how an offline machine's programs can be inventoried.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from agent.errors import CollectionError
from agent.facts._fsutil import is_live
from agent.facts.model import SoftwareItem
from agent.facts.software.base import purl

REG_EXPORT_GLOB = "registry/*.reg"

RegValue = str | int | bytes
RegTree = dict[str, dict[str, RegValue]]

_UNINSTALL_KEY = re.compile(
    r"\\(?P<wow>WOW6432Node\\)?Microsoft\\Windows\\CurrentVersion\\Uninstall\\(?P<product>[^\\]+)$",
    re.IGNORECASE,
)
# Only hex data is wrapped by regedit (at ~80 columns, continuation lines indented two spaces).
_HEX_VALUE = re.compile(r"=\s*hex(\([0-9a-fA-F]+\))?:")
_HIDDEN_RELEASE_TYPES = frozenset({"security update", "update rollup", "hotfix", "update"})


def decode_reg_file(data: bytes) -> str:
    """Text of a .reg file: regedit 5.00 writes UTF-16LE with BOM; REGEDIT4 writes the ANSI code page."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _logical_lines(text: str) -> Iterator[str]:
    """Join hex value lines continued with a trailing backslash."""
    pending = ""
    for raw in text.splitlines():
        line = raw.strip() if pending else raw.rstrip()
        if line.endswith("\\") and _HEX_VALUE.search(pending + line):
            pending += line[:-1]
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def _unquote(text: str) -> tuple[str, str]:
    """Parse a leading quoted string with \\\\ and \\" escapes; return (value, rest after it)."""
    out: list[str] = []
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), text[i + 1 :]
        out.append(ch)
        i += 1
    return "".join(out), ""


def _parse_data(data: str) -> RegValue | None:
    """A value's data: "string", dword:XXXXXXXX, hex(N):bytes; None for deletions and unknown forms."""
    if data.startswith('"'):
        return _unquote(data)[0]
    if data.startswith("dword:"):
        try:
            return int(data[6:], 16)
        except ValueError:
            return None
    match = re.match(r"hex(?:\(([0-9a-fA-F]+)\))?:(.*)$", data)
    if not match:
        return None
    try:
        raw = bytes(int(b, 16) for b in match.group(2).replace(" ", "").split(",") if b)
    except ValueError:
        return None
    kind = int(match.group(1) or "3", 16)
    # REG_SZ (1) and REG_EXPAND_SZ (2) exported as hex are UTF-16LE, NUL-terminated (winnt.h).
    if kind in (1, 2):
        return raw.decode("utf-16-le", errors="replace").rstrip("\0")
    if kind == 4 and len(raw) == 4:  # REG_DWORD, little-endian
        return int.from_bytes(raw, "little")
    return raw


def parse_reg(text: str) -> RegTree:
    """Parse a regedit export into {key path: {value name: data}}.

    Key paths keep their spelling; value names are lower-cased (the registry is
    case-insensitive). "[-KEY]" deletions and '"name"=-' removals are honoured. The default value
    ("@") is stored under "".
    """
    tree: RegTree = {}
    current: dict[str, RegValue] | None = None
    for line in _logical_lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            path = stripped[1:-1]
            if path.startswith("-"):
                tree.pop(path[1:], None)
                current = None
            else:
                current = tree.setdefault(path, {})
            continue
        if current is None:
            continue
        if stripped.startswith("@="):
            name, rest = "", stripped[2:]
        elif stripped.startswith('"'):
            name, rest = _unquote(stripped)
            if not rest.startswith("="):
                continue
            rest = rest[1:]
        else:
            continue
        if rest.strip() == "-":
            current.pop(name.lower(), None)
            continue
        value = _parse_data(rest.strip())
        if value is not None:
            current[name.lower()] = value
    return tree


def _install_date(value: RegValue | None) -> datetime | None:
    """InstallDate is REG_SZ "YYYYMMDD" by convention; some installers write other forms, taken as unknown."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{8}", value.strip()):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def items_from_tree(tree: RegTree) -> list[SoftwareItem]:
    """Programs-and-Features entries of a registry tree, deduplicated across views and users."""
    items: list[SoftwareItem] = []
    seen: set[tuple[str, str, str]] = set()
    for path, values in tree.items():
        match = _UNINSTALL_KEY.search(path)
        if not match:
            continue
        name = str(values.get("displayname", "")).strip()
        if not name or values.get("systemcomponent") == 1:
            continue
        if values.get("parentkeyname") or str(values.get("releasetype", "")).lower() in _HIDDEN_RELEASE_TYPES:
            continue
        version = str(values.get("displayversion", "")).strip()
        arch = "x86" if match.group("wow") else ""
        key = (name.lower(), version, arch)
        if key in seen:
            continue
        seen.add(key)
        items.append(
            SoftwareItem(
                name=name,
                version=version,
                # The wire contract's Windows source name (report.proto SoftwareItem.source).
                source="msi",
                vendor=str(values.get("publisher", "")).strip(),
                arch=arch,
                installed_at=_install_date(values.get("installdate")),
                purl=purl("generic", name, version, namespace="windows"),
            )
        )
    return items


def _live_registry() -> RegTree:  # pragma: no cover - exercised on Windows hosts only
    """The Uninstall keys of the running Windows machine, in parse_reg's shape."""
    tree: RegTree = {}
    if sys.platform != "win32":
        return tree
    import winreg

    sub = r"Microsoft\Windows\CurrentVersion\Uninstall"
    roots: list[tuple[int, str, str, int]] = [
        (winreg.HKEY_LOCAL_MACHINE, "HKEY_LOCAL_MACHINE", rf"SOFTWARE\{sub}", winreg.KEY_WOW64_64KEY),
        (winreg.HKEY_LOCAL_MACHINE, "HKEY_LOCAL_MACHINE", rf"SOFTWARE\WOW6432Node\{sub}", 0),
    ]
    try:
        with winreg.OpenKey(winreg.HKEY_USERS, "") as users:
            index = 0
            while True:
                try:
                    sid = winreg.EnumKey(users, index)
                except OSError:
                    break
                index += 1
                roots.append((winreg.HKEY_USERS, "HKEY_USERS", rf"{sid}\Software\{sub}", 0))
    except OSError as exc:
        raise CollectionError(f"cannot enumerate HKEY_USERS: {exc}") from exc
    for hive, hive_name, path, flags in roots:
        try:
            key = winreg.OpenKey(hive, path, 0, winreg.KEY_READ | flags)
        except OSError:
            continue
        with key:
            index = 0
            while True:
                try:
                    product = winreg.EnumKey(key, index)
                except OSError:
                    break
                index += 1
                values: dict[str, RegValue] = {}
                try:
                    with winreg.OpenKey(key, product) as product_key:
                        count = winreg.QueryInfoKey(product_key)[1]
                        for i in range(count):
                            value_name, data, _type = winreg.EnumValue(product_key, i)
                            if isinstance(data, str | int | bytes):
                                values[value_name.lower()] = data
                except OSError:
                    continue
                tree[rf"{hive_name}\{path}\{product}"] = values
    return tree


class WindowsSource:
    """Programs and Features entries, live (winreg) or from recorded .reg exports.

    Named after the package source its items carry ("msi"), so that the collector can tell which
    stored rows a complete run of this collector may close.
    """

    name = "msi"
    libraries = False

    def is_present(self, root: Path) -> bool:
        """Running on Windows, or .reg exports under root/registry."""
        if is_live(root) and sys.platform == "win32":
            return True
        return any(root.glob(REG_EXPORT_GLOB))

    def collect(self, root: Path) -> list[SoftwareItem]:
        """Read the registry (or its exports) and keep the user-visible programs."""
        if is_live(root) and sys.platform == "win32":
            return items_from_tree(_live_registry())
        tree: RegTree = {}
        for path in sorted(root.glob(REG_EXPORT_GLOB)):
            try:
                tree.update(parse_reg(decode_reg_file(path.read_bytes())))
            except OSError as exc:
                raise CollectionError(f"{path}: cannot read registry export: {exc.strerror or exc}") from exc
        return items_from_tree(tree)

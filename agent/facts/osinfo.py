"""Operating system facts: os-release on Linux, SystemVersion.plist on macOS, uname when live.

(Named osinfo rather than os so that nothing ever confuses it with the standard library.)
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from agent.errors import CollectionError
from agent.facts._fsutil import is_live, read_text
from agent.facts.model import OsInfo

# os-release(5): /etc/os-release takes precedence; /usr/lib/os-release is the vendor fallback.
OS_RELEASE_PATHS = (Path("etc/os-release"), Path("usr/lib/os-release"))
MACOS_VERSION_PLIST = Path("System/Library/CoreServices/SystemVersion.plist")


def parse_os_release(text: str) -> dict[str, str]:
    """Parse os-release(5) text: KEY=value lines whose values follow shell quoting rules.

    Values may be double- or single-quoted, with backslash escapes for `$ " \\ `` inside double
    quotes; shlex implements exactly that subset. A malformed line (unbalanced quote) is kept
    verbatim rather than dropping the whole file.
    """
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value, posix=True)
        except ValueError:
            parts = [value.strip("\"'")]
        values[key.strip()] = " ".join(parts)
    return values


def read_os_release(root: Path) -> dict[str, str]:
    """The first os-release file found under `root`, parsed; {} when there is none."""
    for rel in OS_RELEASE_PATHS:
        path = root / rel
        if path.is_file():
            return parse_os_release(read_text(path))
    return {}


def distro_id(root: Path) -> str:
    """os-release ID (lower case, e.g. "debian", "fedora"), used as the purl namespace; "" if none."""
    return read_os_release(root).get("ID", "").lower()


_FAMILIES = {"Linux": "linux", "Windows": "windows", "Darwin": "macos", "FreeBSD": "freebsd"}


def _uname() -> tuple[str, str, str]:
    """(system, release, machine) of the running kernel, as platform.uname() gives them.

    On POSIX platform.uname() is os.uname(); asking os directly spares importing platform, whose
    module set-up costs more than this whole collector. Windows has no os.uname.
    """
    if hasattr(os, "uname"):
        name = os.uname()
        return name.sysname, name.release, name.machine
    import platform

    return platform.system(), platform.release(), platform.machine()


class OsCollector:
    """OS family, distribution name/version/id, kernel release and machine architecture."""

    name = "os"

    def is_present(self, root: Path) -> bool:
        """The live OS always exists; a recorded root needs os-release or a macOS version plist."""
        if is_live(root):
            return True
        return any((root / rel).is_file() for rel in (*OS_RELEASE_PATHS, MACOS_VERSION_PLIST))

    def collect(self, root: Path) -> OsInfo:
        """Combine the release files under `root` with uname when `root` is the running system."""
        live = is_live(root)
        system, kernel_release, machine = _uname() if live else ("", "", "")
        family = _FAMILIES.get(system, system.lower()) if live else ""
        kernel = kernel_release if live else read_text(root / "proc/sys/kernel/osrelease")
        arch = machine if live else read_text(root / "proc/sys/kernel/arch")

        release = read_os_release(root)
        if release:
            return OsInfo(
                family=family or "linux",
                name=release.get("NAME", ""),
                version=release.get("VERSION_ID", ""),
                kernel=kernel,
                arch=arch,
                id=release.get("ID", "").lower(),
            )
        plist_path = root / MACOS_VERSION_PLIST
        if plist_path.is_file():
            import plistlib  # macOS images only

            try:
                with plist_path.open("rb") as fh:
                    info = plistlib.load(fh)
            except (OSError, plistlib.InvalidFileException, ValueError) as exc:
                raise CollectionError(f"{plist_path}: unreadable ({exc})") from exc
            return OsInfo(
                family="macos",
                name=str(info.get("ProductName", "macOS")),
                version=str(info.get("ProductVersion", "")),
                kernel=kernel,
                arch=arch,
                id="macos",
            )
        if live and sys.platform == "win32":
            import platform

            # platform.version() is the build ("10.0.22631"); release() the marketing number.
            return OsInfo(family="windows", name=f"Windows {platform.release()}",
                          version=platform.version(), kernel=platform.version(), arch=arch, id="windows")
        if live and sys.platform == "darwin":
            import platform

            return OsInfo(family="macos", name="macOS", version=platform.mac_ver()[0],
                          kernel=kernel, arch=arch, id="macos")
        return OsInfo(family=family, kernel=kernel, arch=arch)

"""Python distributions installed outside virtual environments.

Reads the system and per-user site directories under `root` with importlib.metadata, which
parses *.dist-info (PEP 376/627) and legacy *.egg-info metadata exactly as pip does. Virtual
environments are out of scope: they are application-private, live anywhere, and the agent's
own environment would otherwise report netcensus's dependencies as the machine's software.
Distributions Debian/Fedora packages installed into dist-packages are reported too (they are
on disk and importable); the rule engine sees their source as "pip" and the deb/rpm copy
separately.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from importlib.metadata import Distribution
from pathlib import Path

from agent.facts._fsutil import mtime_utc
from agent.facts.model import SoftwareItem
from agent.facts.software.base import purl

# Site directories by platform convention (sysconfig install schemes "posix_prefix",
# "posix_user", "deb_system", "osx_framework_user", "nt").
SITE_GLOBS = (
    "usr/lib/python3*/site-packages",
    "usr/lib/python3*/dist-packages",
    "usr/lib64/python3*/site-packages",
    "usr/local/lib/python3*/site-packages",
    "usr/local/lib/python3*/dist-packages",
    "usr/local/lib64/python3*/site-packages",
    "root/.local/lib/python3*/site-packages",
    "home/*/.local/lib/python3*/site-packages",
    "Library/Python/3.*/lib/python/site-packages",
    "Users/*/Library/Python/3.*/lib/python/site-packages",
    "opt/homebrew/lib/python3*/site-packages",
)

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def normalise_name(name: str) -> str:
    """PEP 503 normalised project name, which is also the purl "pypi" name form."""
    return re.sub(r"[-_.]+", "-", name).lower()


def site_dirs(root: Path) -> list[Path]:
    """Existing site directories under `root`, sorted, without duplicates through symlinks."""
    seen: set[Path] = set()
    found: list[Path] = []
    for pattern in SITE_GLOBS:
        for path in sorted(root.glob(pattern)):
            key = path.resolve()
            if path.is_dir() and key not in seen:
                seen.add(key)
                found.append(path)
    return found


def _metadata_dirs(site: Path) -> Iterator[Path]:
    try:
        entries = sorted(site.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.endswith(_METADATA_SUFFIXES):
            yield entry


_FIELDS = ("Name", "Version", "Author", "Maintainer", "Author-email")


def _read_metadata(meta_dir: Path) -> dict[str, str]:
    """The core-metadata fields we use; a distutils-era `foo.egg-info` may be a PKG-INFO *file*.

    Missing METADATA/PKG-INFO (a half-uninstalled distribution) gives an empty mapping.
    """
    if meta_dir.is_file():
        try:
            message = BytesHeaderParser().parsebytes(meta_dir.read_bytes())
        except OSError:
            return {}
        return {k: str(message[k]) for k in _FIELDS if message[k]}
    meta = Distribution.at(meta_dir).metadata
    if meta is None:
        return {}
    values = {k: (meta.get_all(k) or [""])[0] for k in _FIELDS}
    return {k: str(v) for k, v in values.items() if v}


class PipSource:
    """Python distributions in system and user site-packages."""

    name = "pip"

    def is_present(self, root: Path) -> bool:
        """Any site directory exists."""
        return bool(site_dirs(root))

    def collect(self, root: Path) -> list[SoftwareItem]:
        """One item per distribution and site directory; unreadable metadata is skipped."""
        items: list[SoftwareItem] = []
        seen: set[tuple[str, str, Path]] = set()
        for site in site_dirs(root):
            for meta_dir in _metadata_dirs(site):
                meta = _read_metadata(meta_dir)
                name = meta.get("Name", "")
                version = meta.get("Version", "")
                if not name or not version:
                    continue
                key = (normalise_name(name), version, site)
                if key in seen:  # both an .egg-info and a .dist-info for the same install
                    continue
                seen.add(key)
                vendor = meta.get("Author") or meta.get("Maintainer") or meta.get("Author-email", "")
                items.append(
                    SoftwareItem(
                        name=name,
                        version=version,
                        source="pip",
                        vendor=vendor,
                        # RECORD is written once, at install time (PEP 376); the directory
                        # mtime would move when pip rewrites INSTALLER or REQUESTED.
                        installed_at=mtime_utc(meta_dir / "RECORD") or mtime_utc(meta_dir),
                        purl=purl("pypi", normalise_name(name), version),
                    )
                )
        return items

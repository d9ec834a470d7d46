"""Python distributions installed outside virtual environments.

Reads the system and per-user site directories under `root`: each *.dist-info (PEP 376/627) or
legacy *.egg-info holds a METADATA / PKG-INFO file of RFC 822 style headers, read here the way
importlib.metadata reads them (its email-parser rules for header lines and folding, and its
re-indenting of folded values) without importing importlib.metadata and the email package,
which cost more than reading the files. Virtual
environments are out of scope: they are application-private, live anywhere, and the agent's
own environment would otherwise report netcensus's dependencies as the machine's software.
Distributions Debian/Fedora packages installed into dist-packages are reported too (they are
on disk and importable); the rule engine sees their source as "pip" and the deb/rpm copy
separately.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
_WANTED = {name.lower(): name for name in _FIELDS}

# email.feedparser: the header block is the leading run of lines matching headerRE, a line being
# what "\r\n", "\r" or "\n" ends.
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _header_value(lines: list[str]) -> str:
    """One header's value as email's compat32 policy and importlib.metadata's Message give it."""
    value = (lines[0].split(":", 1)[1].lstrip(" \t") + "".join(lines[1:])).rstrip("\r\n")
    if "\n" in value:
        import textwrap  # folded values are rare

        # importlib.metadata._adapters.Message._repair_headers: "Correct for RFC822 indentation".
        value = textwrap.dedent(" " * 8 + value)
    return value


def parse_headers(text: str) -> dict[str, str]:
    """The first value of each wanted core-metadata field (names matched case-insensitively).

    Follows email.feedparser._parse_headers: continuation lines start with a space or tab, a
    "From " line is an envelope line rather than a header, a line starting with ":" is skipped.
    """
    lines: list[str] = []
    for line in _LINE.findall(text):
        if not _HEADER_LINE.match(line):
            break
        lines.append(line)
    found: dict[str, str] = {}
    current: list[str] = []

    def flush() -> None:
        key = _WANTED.get(current[0].split(":", 1)[0].lower())
        if key is not None and key not in found:
            found[key] = _header_value(current)

    for number, line in enumerate(lines):
        if line[0] in " \t":
            if current:
                current.append(line)
            continue
        if current:
            flush()
            current = []
        if line.startswith("From "):
            if number == len(lines) - 1 and number > 0:
                break
            continue
        if line.find(":") > 0:
            current = [line]
    if current:
        flush()
    return {k: v for k, v in found.items() if v}


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def _read_metadata(meta_dir: Path) -> dict[str, str]:
    """The core-metadata fields we use; a distutils-era `foo.egg-info` may be a PKG-INFO *file*.

    Missing METADATA/PKG-INFO (a half-uninstalled distribution) gives an empty mapping.
    """
    if meta_dir.is_file():
        # Rare enough that the email package is worth importing for its exact byte handling.
        from email.parser import BytesHeaderParser

        try:
            message = BytesHeaderParser().parsebytes(meta_dir.read_bytes())
        except OSError:
            return {}
        return {k: str(message[k]) for k in _FIELDS if message[k]}
    text = _read_text(meta_dir / "METADATA") or _read_text(meta_dir / "PKG-INFO") or ""
    return parse_headers(text)


class PipSource:
    """Python distributions in system and user site-packages."""

    name = "pip"
    libraries = True

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

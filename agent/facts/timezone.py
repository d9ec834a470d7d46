"""The machine's configured time zone, as an IANA name where the system records one.

Sources, in the order systemd-timedated (src/timedate/timedated.c) and glibc consult them:
the /etc/localtime symlink target (".../zoneinfo/Europe/Berlin"; also how macOS spells it),
Debian's /etc/timezone, RHEL 6's /etc/sysconfig/clock ZONE=, and as a last resort the POSIX TZ
rule in the footer of a copied (non-symlink) TZif file, e.g. "CET-1CEST,M3.5.0,M10.5.0/3".
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from agent.facts._fsutil import is_live, read_text

LOCALTIME = Path("etc/localtime")
DEBIAN_TIMEZONE = Path("etc/timezone")
SYSCONFIG_CLOCK = Path("etc/sysconfig/clock")

# tzfile(5): the database also ships "posix/" (same data) and "right/" (leap-second aware)
# copies of every zone; a link into either still names the zone after that prefix.
_ZONE_PREFIXES = ("posix/", "right/")


def zone_from_link(target: str) -> str:
    """IANA zone name from a localtime symlink target; "" if it does not point into a zoneinfo tree."""
    _, sep, zone = target.partition("zoneinfo/")
    if not sep or not zone:
        return ""
    for prefix in _ZONE_PREFIXES:
        if zone.startswith(prefix):
            zone = zone[len(prefix) :]
    return zone.strip("/")


def tzif_footer(data: bytes) -> str:
    """The POSIX TZ string that ends a version 2+ TZif file (RFC 8536 section 3.3), or ""."""
    if not data.startswith(b"TZif") or len(data) < 5 or data[4:5] == b"\0":
        return ""
    stripped = data.rstrip(b"\n")
    newline = stripped.rfind(b"\n")
    if newline < 0:
        return ""
    footer = stripped[newline + 1 :]
    text = footer.decode("ascii", errors="replace")
    return text if footer.isascii() and text.isprintable() else ""


def _sysconfig_zone(text: str) -> str:
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "ZONE":
            return value.strip().strip("\"'")
    return ""


class TimezoneCollector:
    """IANA time zone name ("Europe/Berlin"), or a POSIX TZ rule when only that is known."""

    name = "timezone"

    def is_present(self, root: Path) -> bool:
        """The live machine always has a zone (UTC by default); a recorded root needs a zone file."""
        if is_live(root):
            return True
        return any((root / p).is_file() or (root / p).is_symlink()
                   for p in (LOCALTIME, DEBIAN_TIMEZONE, SYSCONFIG_CLOCK))

    def collect(self, root: Path) -> str:
        """Try each source in turn; live Windows falls back to the C library's zone name."""
        link = root / LOCALTIME
        if link.is_symlink():
            try:
                zone = zone_from_link(os.readlink(link))
            except OSError:
                zone = ""
            if zone:
                return zone
        zone = read_text(root / DEBIAN_TIMEZONE).split("\n", 1)[0].strip()
        if zone:
            return zone
        zone = _sysconfig_zone(read_text(root / SYSCONFIG_CLOCK))
        if zone:
            return zone
        try:
            footer = tzif_footer(link.read_bytes())
        except OSError:
            footer = ""
        if footer:
            return footer
        if is_live(root) and sys.platform == "win32":
            return time.tzname[0]
        # glibc's default without /etc/localtime is UTC (tzset(3)).
        return "UTC" if is_live(root) else ""

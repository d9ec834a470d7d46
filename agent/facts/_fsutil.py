"""Small file helpers shared by the fact parsers.

Every parser takes a filesystem `root` (DESIGN/STYLE: "inject the world") so tests feed recorded
files; these helpers keep the "read it if it is there" boilerplate in one place.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

LIVE_ROOT = Path("/")


def is_live(root: Path) -> bool:
    """Tell whether `root` is this running machine, so live APIs (psutil, uname) may be used.

    Live APIs describe the running kernel, not a recorded tree: using them for any other root
    would mix two machines' facts into one report.
    """
    try:
        return root.resolve() == LIVE_ROOT
    except OSError:
        return False


def read_text(path: Path) -> str:
    """Read a small text file, stripped; "" when missing, unreadable or not a file.

    sysfs and procfs attributes may fail with EIO/EACCES/EINVAL (e.g. dmi/id/product_serial is
    mode 0400, some device attributes refuse reads when the device is down); for single optional
    attributes all of those mean "unknown". Undecodable bytes are replaced, never fatal.
    """
    try:
        return path.read_bytes().decode("utf-8", errors="replace").strip()
    except OSError:
        return ""


def read_int(path: Path, default: int = 0) -> int:
    """Read a file holding one decimal integer; `default` when absent or not a number."""
    text = read_text(path)
    try:
        return int(text)
    except ValueError:
        return default


def mtime_utc(path: Path | str) -> datetime | None:
    """Modification time of `path` as an aware UTC datetime, or None when it cannot be stat'ed.

    Takes a plain string too: per-package loops (dpkg's hundreds of .list files) spend more on
    building Path objects than on the stat itself.
    """
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)
    except (OSError, OverflowError, ValueError):
        return None

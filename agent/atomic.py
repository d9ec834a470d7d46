"""Replace a small state file atomically and privately (node key, baseline, sequence counter).

Why one helper: every state file must survive a crash and a full disk the same way. The new content
goes to a temp file in the same directory (so the rename cannot cross filesystems), is fsynced, and
renamed over the old file; the directory is fsynced so the rename itself survives a power cut. If
any step fails (ENOSPC, EIO), the temp file is removed and the old file is untouched, so a full
disk costs the latest update, never the state or stray `.tmp` files filling the disk further.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE_DIR = 0o700  # the state directory holds the node key


def private_dir(directory: Path) -> None:
    """Create `directory` (and missing parents) if needed; the directory itself owner-only."""
    if not directory.is_dir():
        directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)


def write_private(path: Path, data: bytes) -> None:
    """Make `data` the content of `path` (mode 0600), all or nothing; raises OSError."""
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def reason(exc: OSError) -> str:
    """The one-line cause of an OSError, without the path it names (the caller names the file)."""
    return exc.strerror or type(exc).__name__

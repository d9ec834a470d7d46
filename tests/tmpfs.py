"""A small tmpfs for tests of full disks: mounted for one test, always unmounted afterwards.

Why a real filesystem: a full disk shows up as ENOSPC from the kernel in the middle of DuckDB's and
SQLite's own writes, which no fake reproduces faithfully. Needs root (the suite runs as root).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_tmpfs(where: Path, size_kb: int) -> Iterator[Path]:
    """Mount a tmpfs of `size_kb` KiB at `where` (created), yield it, unmount it whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=True)  # a file still open: detach it anyway


def fill(directory: Path, name: str = "filler") -> Path:
    """Write zeros into `directory/name` until the filesystem is full; returns the file (unlink to free)."""
    path = directory / name
    chunk = b"\0" * 4096
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        # The last partial page: tmpfs counts pages, so fill what a smaller write still fits.
        for size in (2048, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, chunk[:size])
    finally:
        os.close(fd)
    return path

"""Processes and socket owners read from procfs under an injectable root (psutil's own sources).

psutil answers the same questions on the live machine, but reading /proc ourselves lets tests
feed a recorded tree (proc/<pid>/comm, proc/<pid>/fd/* symlinks) and lets the listening-port
collector look up only the socket inodes it needs instead of building psutil's full
connection table. Processes that vanish or refuse us mid-scan are skipped: a process list is a
snapshot of a moving target, and a non-root agent cannot read other users' fd directories.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path

from agent.facts._fsutil import read_text
from agent.facts.model import Record

PROC = Path("proc")

# Kernel threads have an empty cmdline and are children of kthreadd (pid 2); none of them is a
# product we look for, and skipping them halves the work on a quiet server.
_KTHREADD = "2"


class Process(Record):
    """One process: pid and its comm name (at most 15 bytes, TASK_COMM_LEN - 1 in sched.h)."""

    __slots__ = ("pid", "name")  # noqa: RUF023 - field order
    pid: int
    name: str

    def __init__(self, pid: int, name: str) -> None:
        self._set_fields(pid, name)


def _pid_dirs(root: Path) -> Iterator[tuple[int, str]]:
    try:
        names = os.listdir(root / PROC)
    except OSError:
        return
    base = str(root / PROC)
    for name in names:
        if name.isdigit():
            yield int(name), f"{base}/{name}"


def processes(root: Path) -> list[Process]:
    """Every user-space process under root/proc with its comm name, sorted by pid."""
    result: list[Process] = []
    for pid, path in _pid_dirs(root):
        comm = read_text(Path(path, "comm"))
        if not comm:
            continue
        # proc(5) /proc/pid/stat field 4 is the parent pid; the comm field (2) is parenthesised
        # and may itself contain spaces or ")", so split after the last ")".
        stat = read_text(Path(path, "stat"))
        fields = stat.rpartition(")")[2].split()
        if len(fields) >= 2 and fields[1] == _KTHREADD:
            continue
        result.append(Process(pid, comm))
    result.sort(key=lambda p: p.pid)
    return result


def socket_owners(root: Path, inodes: Collection[int]) -> dict[int, int]:
    """Map socket inode -> pid for the wanted inodes, from the proc/<pid>/fd/* links.

    Each fd of a socket is a symlink whose target reads "socket:[<inode>]" (proc(5)). The first
    pid found wins: a listening socket shared by a pre-forked server's workers belongs to the
    lowest pid, normally the master.
    """
    wanted = set(inodes)
    found: dict[int, int] = {}
    if not wanted:
        return found
    for pid, path in sorted(_pid_dirs(root)):
        fd_dir = f"{path}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inode = int(target[8:-1]) if target[8:-1].isdigit() else -1
                if inode in wanted and inode not in found:
                    found[inode] = pid
        if len(found) == len(wanted):
            break
    return found


def comm_of(root: Path, pid: int) -> str:
    """The comm name of one process, "" when it is gone."""
    return read_text(root / PROC / str(pid) / "comm")

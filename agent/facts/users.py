"""Who is logged in: the utmp login records, or systemd-logind's session files without utmp.

utmp is what who(1) and psutil.users() read. Its record is `struct utmp` from glibc's
bits/utmp.h, 384 bytes on every 64-bit Linux ABI glibc supports (the time fields are 32-bit
there for compatibility with 32-bit programs sharing the file). Distributions that build
systemd without utmp (and musl systems) have none; logind's runtime files under
/run/systemd/sessions then list the same sessions as KEY=value text (sd-login's session.c
session_save()).
"""

from __future__ import annotations

import os
import struct
from datetime import UTC, datetime
from pathlib import Path

from agent.errors import CollectionError
from agent.facts._fsutil import is_live, read_text
from agent.facts.model import LoggedInUser

UTMP_PATHS = (Path("run/utmp"), Path("var/run/utmp"))
LOGIND_SESSIONS = Path("run/systemd/sessions")

# short ut_type, 2 pad, pid_t ut_pid, char ut_line[32], ut_id[4], ut_user[32], ut_host[256],
# struct exit_status {short, short}, int32 ut_session, struct {int32 sec, usec} ut_tv,
# int32 ut_addr_v6[4], char __glibc_reserved[20].
_UTMP = struct.Struct("<hxxi32s4s32s256shhiii16s20s")
_USER_PROCESS = 7  # utmp(5) ut_type of a normal login


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace").strip()


def parse_utmp(data: bytes) -> tuple[LoggedInUser, ...]:
    """USER_PROCESS records of a utmp file, in file order; a trailing partial record is ignored."""
    users: list[LoggedInUser] = []
    size = _UTMP.size
    for offset in range(0, len(data) - size + 1, size):
        ut_type, _pid, line, _id, user, host, _term, _exit, _sess, sec, _usec, _addr, _res = _UTMP.unpack_from(
            data, offset)
        name = _cstr(user)
        # A logout rewrites the slot as DEAD_PROCESS; a USER_PROCESS left behind by a crash has a
        # pid that no longer exists, which only the live machine can check.
        if ut_type != _USER_PROCESS or not name:
            continue
        users.append(LoggedInUser(name=name, terminal=_cstr(line), host=_cstr(host),
                                  started=datetime.fromtimestamp(sec, tz=UTC) if sec > 0 else None))
    return tuple(users)


def parse_logind_session(text: str) -> LoggedInUser | None:
    """One /run/systemd/sessions/<id> file; None for greeter/background sessions."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key] = value
    if not values.get("USER") or values.get("CLASS", "user") not in ("user", "user-early", "user-incomplete"):
        return None
    started = None
    realtime = values.get("REALTIME", "")
    if realtime.isdigit() and int(realtime) > 0:
        started = datetime.fromtimestamp(int(realtime) / 1_000_000, tz=UTC)
    return LoggedInUser(name=values["USER"], terminal=values.get("TTY", "") or values.get("DISPLAY", ""),
                        host=values.get("REMOTE_HOST", ""), started=started)


class UsersCollector:
    """Logged-in users with terminal, remote host and login time."""

    name = "users"

    def is_present(self, root: Path) -> bool:
        """Any machine with a utmp file or logind's session directory (live Linux always counts)."""
        return (is_live(root) or any((root / p).is_file() for p in UTMP_PATHS)
                or (root / LOGIND_SESSIONS).is_dir())

    def collect(self, root: Path) -> tuple[LoggedInUser, ...]:
        """utmp when there is one, else logind's sessions; () when neither exists."""
        for rel in UTMP_PATHS:
            path = root / rel
            if path.is_file():
                try:
                    return parse_utmp(path.read_bytes())
                except OSError as exc:
                    raise CollectionError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        sessions = root / LOGIND_SESSIONS
        found: list[LoggedInUser] = []
        try:
            names = sorted(os.listdir(sessions))
        except OSError:
            return ()
        for name in names:
            if name.endswith(".ref"):
                continue
            user = parse_logind_session(read_text(sessions / name))
            if user is not None:
                found.append(user)
        return tuple(found)

"""`netcensus users add|passwd|disable|list`: dashboard users in the database file (collector stopped).

The password is read from the terminal (twice, not echoed) or, when stdin is not a terminal, from its
first line, so scripts can pipe it in; never from argv, where other users of the machine can read it
in the process list.
"""

from __future__ import annotations

import getpass
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from collector.errors import UsageError
from collector.output import emit
from collector.serve.access import check_name, check_role
from collector.serve.web.passwords import check_password, hash_password
from collector.store import users as users_sql
from collector.store.duckdb import Store

USER_COLUMNS = ("name", "role", "created_at", "disabled_at")


def read_password(stdin: TextIO | None = None) -> str:
    """The new password: prompted for twice on a terminal, else the first line of stdin."""
    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise UsageError("the two passwords differ")
        return check_password(first)
    line = stream.readline()
    if not line:
        raise UsageError("no password on stdin (pipe it in, or run on a terminal to be asked)")
    return check_password(line.rstrip("\r\n"))


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def users_command(command: str, name: str, *, db: Path, role: str | None, now: datetime) -> int:
    """Run one users subcommand; audited like `tokens` changes made offline."""
    store = Store.open(db, create=command == "add")
    try:
        if command == "list":
            emit(users_sql.users(store), "table", columns=USER_COLUMNS,
                 table_columns=[(c, c.upper()) for c in USER_COLUMNS], out=sys.stdout, output=None, empty="no users")
            return 0
        check_name(name)
        if command == "add":
            check_role(role or "")
            if not users_sql.add_user(store, name, role or "", hash_password(read_password()), now):
                raise UsageError(f"a user named {name!r} exists already (names are never reused; pick another)")
            outcome = f"user {name} ({role}) created"
        elif command == "passwd":
            if not users_sql.set_password(store, name, hash_password(read_password())):
                raise UsageError(f"no active user named {name!r}")
            outcome = f"password of {name} set"
        else:
            if not users_sql.disable_user(store, name, now):
                raise UsageError(f"no active user named {name!r}")
            outcome = f"user {name} disabled"
        store.record_audit({"at": now, "who": _who(), "role": None, "action": f"users {command}", "target": name,
                            "peer": "local", "outcome": "ok"})
    finally:
        store.close()
    print(outcome)
    return 0

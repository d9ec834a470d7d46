"""Dashboard users (migration 013): created by `netcensus users add`, read at login.

Only the password's hash is kept (collector/serve/web/passwords.py makes it). A name is never reused,
as with API tokens: the audit log's "who" keeps meaning one person.
"""

from __future__ import annotations

from datetime import datetime

from collector.store.duckdb import Store


def add_user(store: Store, name: str, role: str, password_hash: str, now: datetime) -> bool:
    """Create a user; False when the name exists already."""
    with store._transaction() as cur:
        if cur.execute("SELECT 1 FROM web_users WHERE name = ?", [name]).fetchone():
            return False
        cur.execute("INSERT INTO web_users VALUES (?, ?, ?, ?, NULL)", [name, role, password_hash, now])
    return True


def set_password(store: Store, name: str, password_hash: str) -> bool:
    """Replace an active user's password hash; False when there is no such user."""
    with store._transaction() as cur:
        found = cur.execute("SELECT 1 FROM web_users WHERE name = ? AND disabled_at IS NULL", [name]).fetchone()
        if found:
            cur.execute("UPDATE web_users SET password_hash = ? WHERE name = ?", [password_hash, name])
    return bool(found)


def disable_user(store: Store, name: str, now: datetime) -> bool:
    """Disable an active user (the row stays, for the audit log); False when there is none."""
    with store._transaction() as cur:
        found = cur.execute("SELECT 1 FROM web_users WHERE name = ? AND disabled_at IS NULL", [name]).fetchone()
        if found:
            cur.execute("UPDATE web_users SET disabled_at = ? WHERE name = ?", [now, name])
    return bool(found)


def login_record(store: Store, name: str) -> tuple[str, str] | None:
    """(role, password hash) of an active user, else None."""
    rows = store.query("SELECT role, password_hash FROM web_users WHERE name = ? AND disabled_at IS NULL", [name])
    return (str(rows[0]["role"]), str(rows[0]["password_hash"])) if rows else None


def users(store: Store) -> list[dict[str, object]]:
    """Every user, without the hash."""
    return store.query("SELECT name, role, created_at, disabled_at FROM web_users ORDER BY name")

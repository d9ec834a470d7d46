"""Who may see the dashboard: login by user password or API token, sessions, CSRF, the access log.

- Credentials: a dashboard user's password (web_users, scrypt, `netcensus users add`) or one of the
  collector's API tokens (the same book Query and Admin check, so a revoked token stops working here
  too). Roles are the tokens' roles: reader, admin.
- Sessions live in this process's memory, keyed by a 256-bit random id in a cookie that is HttpOnly,
  SameSite=Strict and Secure under TLS. They end on logout, after `idle` without a request and after
  `lifetime` at most; a restart ends them all. Nothing about the session is in the cookie but its id,
  so there is no signing key to keep.
- CSRF: every state-changing request (POST and the rest) carries the session's own CSRF token in a form
  field or the X-CSRF-Token header (synchroniser token pattern); the login form, before any session,
  uses a double-submit cookie. SameSite=Strict is a second line, not the only one.
- Login failures are counted per peer address; past `max_failures` in `failure_window` the peer
  waits (HTTP 429), so a password cannot be guessed at line rate.
- Every request that reaches a page, refused ones included, leaves one audit row (who, role, the
  path and query it looked at, peer, outcome): collector/serve/audit.py's log when the collector
  serves the dashboard, the `netcensus.audit` log lines when `netcensus ui` reads a file read-only.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from collector.serve.access import READER, TokenBook, allows
from collector.serve.web.passwords import verify_password

SESSION_COOKIE = "netcensus_session"
LOGIN_CSRF_COOKIE = "netcensus_login_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

UserLookup = Callable[[str], tuple[str, str] | None]
"""name -> (role, password hash) of an active dashboard user (collector/store/users.py login_record)."""

AuditEntry = dict[str, object]
AuditSink = Callable[[AuditEntry], Awaitable[None]]


@dataclass(slots=True)
class Session:
    """One logged-in browser."""

    sid: str
    name: str
    role: str
    via: str                     # 'password' or 'token'
    csrf: str
    created: float
    last_used: float


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long sessions last and how many failed logins a peer may make."""

    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=8)
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=5)


@dataclass
class Authenticator:
    """Checks credentials and keeps the sessions (see the module doc).

    Args:
        users: dashboard users by name.
        tokens: the collector's API tokens (None: token login off).
        policy: session lifetimes and the login throttle.
        clock: monotonic seconds (injected so tests can age sessions).
    """

    users: UserLookup
    tokens: TokenBook | None
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    clock: Callable[[], float] = time.monotonic
    _sessions: dict[str, Session] = field(default_factory=dict)
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, name: str, password: str, token: str) -> tuple[str, str, str] | None:
        """(name, role, via) for a valid user password or API token, else None."""
        if token and self.tokens is not None:
            found = self.tokens.lookup(token.strip())
            if found is not None:
                return found[0], found[1], "token"
            return None
        if not name or not password:
            return None
        record = self.users(name)
        if record is None:
            # Spend the same time as a real check, so a response time does not tell which names exist.
            verify_password(password, _DUMMY_HASH)
            return None
        role, stored = record
        return (name, role, "password") if verify_password(password, stored) else None

    def throttled(self, peer: str) -> bool:
        """Whether this peer has failed too often lately to try again now."""
        with self._lock:
            recent = self._recent(peer)
            return len(recent) >= self.policy.max_failures

    def failed(self, peer: str) -> None:
        """Count a failed login of this peer."""
        with self._lock:
            self._recent(peer).append(self.clock())

    def _recent(self, peer: str) -> deque[float]:
        window = self.policy.failure_window.total_seconds()
        q = self._failures.setdefault(peer, deque())
        while q and q[0] < self.clock() - window:
            q.popleft()
        return q

    def open(self, name: str, role: str, via: str, peer: str) -> Session:
        """A new session (a fresh id: no session fixation); the peer's failures are forgiven."""
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), name, role, via, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._failures.pop(peer, None)
            self._expire(now)
            self._sessions[session.sid] = session
        return session

    def session(self, sid: str | None) -> Session | None:
        """The live session with this id (its idle clock restarted), else None."""
        if not sid:
            return None
        now = self.clock()
        with self._lock:
            s = self._sessions.get(sid)
            if s is None:
                return None
            if (now - s.last_used > self.policy.idle.total_seconds()
                    or now - s.created > self.policy.lifetime.total_seconds()):
                del self._sessions[sid]
                return None
            if s.via == "token" and self.tokens is not None and not self.tokens.holds(s.name):
                del self._sessions[sid]  # its token was revoked since
                return None
            s.last_used = now
            return s

    def close(self, sid: str) -> None:
        """End a session (logout)."""
        with self._lock:
            self._sessions.pop(sid, None)

    def _expire(self, now: float) -> None:
        idle, life = self.policy.idle.total_seconds(), self.policy.lifetime.total_seconds()
        for sid, s in list(self._sessions.items()):
            if now - s.last_used > idle or now - s.created > life:
                del self._sessions[sid]


def csrf_ok(expected: str, presented: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (an empty one never matches)."""
    return bool(expected) and bool(presented) and hmac.compare_digest(expected.encode(), (presented or "").encode())


def may(session: Session, needed: str = READER) -> bool:
    """Whether the session's role allows what needs `needed`."""
    return allows(session.role, needed)


_DUMMY_HASH = ("scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")

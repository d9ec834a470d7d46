"""Who may call Query and Admin: named API tokens, roles, the mutual-TLS binding, and the audit trail.

Every Query call needs a reader or admin token and every Admin call an admin token, always: there
is no open default (DESIGN.md, "Access and safety"). Like osquery/Fleet's API, an anonymous caller
gets nothing; like Vault's audit device, every call — refused ones too — leaves one audit row
saying who, what, when, from where and with what outcome, and never the secret.

Tokens are per person or per integration (`netcensus tokens create NAME --role reader|admin`),
256 random bits behind a recognisable prefix, kept only as SHA-256 hashes. The admin token of
earlier versions (NETCENSUS_ADMIN_TOKEN / admin_token_file) stays valid as the admin token named
"bootstrap", so an upgrade keeps working. Node keys are credentials of agents and scanners for
Ingest; presented here they are refused and the attempt is audited under the source's id.

Mutual-TLS binding: with a client CA configured, the caller's certificate must have been issued to
a user (`netcensus certs client --name NAME --kind user`) whose name is the token's name. A
certificate issued to an agent or scanner, or one without a netcensus identity, is refused with
PERMISSION_DENIED even next to a valid token: the CA signing a certificate proves membership of
the estate, not the right to read it.

With `serve --workers N` a front-end passes Query/Admin calls on to the writer process over a
private Unix socket (proxy.py); only the writer checks, and it takes the caller's address and
certificate identity from headers the front-end sets after dropping any the caller sent.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import grpc

from collector.errors import NetcensusError, UsageError
from collector.serve.audit import AuditBacklogFull
from collector.serve.guard import client_peer
from collector.serve.tls import CertIdentity, peer_identity
from collector.wire.metadata import (
    ADMIN_TOKEN_HEADER,
    AUTHORIZATION_HEADER,
    FORWARDED_CERT_HEADER,
    FORWARDED_PEER_HEADER,
)

log = logging.getLogger("netcensus.access")
audit_log = logging.getLogger("netcensus.audit")

READER = "reader"
ADMIN = "admin"
ROLES = (READER, ADMIN)
TOKEN_PREFIX = "nct_"
BOOTSTRAP = "bootstrap"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_CREATE_HINT = ("create one with `netcensus tokens create NAME --role reader|admin --db FILE` "
                "(collector stopped) or `--collector HOST:PORT` with an admin token")


def new_token() -> str:
    """A fresh API token: 256 random bits, with a prefix that makes a leaked one easy to spot."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The only form in which an API token, a node key or the enrolment secret is kept (random
    256-bit values need no slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_name(name: str) -> str:
    """A token name as people and the audit log read it; UsageError says what is allowed."""
    if not _NAME.match(name):
        raise UsageError(f"token name {name[:80]!r}: use 1-64 letters, digits, '.', '_', '@' or '-' "
                         "(starting with a letter or digit)")
    if name == BOOTSTRAP:
        raise UsageError(f"token name {BOOTSTRAP!r} is reserved for NETCENSUS_ADMIN_TOKEN / admin_token_file")
    return name


def check_role(role: str) -> str:
    """reader or admin."""
    if role not in ROLES:
        raise UsageError(f"role {role[:40]!r}: use {' or '.join(ROLES)}")
    return role


def allows(role: str, needed: str) -> bool:
    """An admin may do what a reader may."""
    return role in (ADMIN, needed)


class TokenBook:
    """token hash → (name, role) of the valid tokens, in memory; the store persists them.

    Only the writer process holds one: every Query/Admin call is checked there, so a token
    created or revoked over Admin takes effect at once for the next call, whichever front-end
    it arrives on."""

    def __init__(self, hashes: Mapping[str, tuple[str, str]], bootstrap: str | None = None) -> None:
        self._by_hash = dict(hashes)
        if bootstrap:
            self._by_hash[hash_secret(bootstrap)] = (BOOTSTRAP, ADMIN)

    def lookup(self, token: str) -> tuple[str, str] | None:
        """(name, role) of a valid token, else None."""
        if not token:
            return None
        digest = hash_secret(token)
        found = self._by_hash.get(digest)
        if found is None:
            return None
        # Constant-time re-check of the hash we matched on (as Keyring.source_for does).
        return found if hmac.compare_digest(digest, hash_secret(token)) else None

    def add(self, token_hash: str, name: str, role: str) -> None:
        """A token created now."""
        self._by_hash[token_hash] = (name, role)

    def remove(self, name: str) -> None:
        """A token revoked now."""
        for digest, (held, _) in list(self._by_hash.items()):
            if held == name:
                del self._by_hash[digest]

    def holds(self, name: str) -> bool:
        """Whether a valid token of this name exists (a dashboard session logged in with it ends when not)."""
        return any(held == name for held, _ in self._by_hash.values())

    def __len__(self) -> int:
        return len(self._by_hash)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a call that was allowed."""

    name: str
    role: str
    peer: str


def bearer(metadata: Mapping[str, str]) -> str:
    """The presented token: `authorization: Bearer <token>`, or the older admin-token header."""
    value = metadata.get(AUTHORIZATION_HEADER, "")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return metadata.get(ADMIN_TOKEN_HEADER, "").strip()


def metadata_of(context: grpc.aio.ServicerContext[Any, Any]) -> dict[str, str]:
    """The call's metadata as text (the first value of each key)."""
    out: dict[str, str] = {}
    for key, value in context.invocation_metadata() or ():
        if key not in out:
            out[key] = value if isinstance(value, str) else value.decode(errors="replace")
    return out


AuditSink = Callable[[dict[str, object], str | None], Awaitable[None]]
"""Writes an audit row (and the token's last use) and returns once it is committed (AuditWriter.write)."""


class Access:
    """The check every Query and Admin servicer method makes first, and the audit row it leaves.

    Args:
        tokens: the valid API tokens.
        node_key_source: the source id a presented string is the node key of (to name it in the audit).
        mutual_tls: a client CA is configured: bind the certificate to the token (see the module doc).
        trust_forwarded: this server listens only on the writer's private socket, where front-ends
            state the caller's address and certificate (never true on a public port).
        record: writes an audit row (and the token's last use) and returns once it is committed
            (collector/serve/audit.py); may raise NetcensusError.
        clock: now.
    """

    def __init__(self, *, tokens: TokenBook, node_key_source: Callable[[str], str | None], mutual_tls: bool,
                 trust_forwarded: bool, record: AuditSink, clock: Callable[[], datetime]) -> None:
        self.tokens = tokens
        self._node_key_source = node_key_source
        self._mutual_tls = mutual_tls
        self._trust_forwarded = trust_forwarded
        self._record = record
        self._clock = clock

    def _peer(self, context: grpc.aio.ServicerContext[Any, Any],
              metadata: Mapping[str, str]) -> tuple[str, CertIdentity | None]:
        if self._trust_forwarded:
            cert = CertIdentity.parse(metadata.get(FORWARDED_CERT_HEADER, ""))
            return metadata.get(FORWARDED_PEER_HEADER, "") or client_peer(context.peer()), cert
        return client_peer(context.peer()), peer_identity(context)

    async def require(self, context: grpc.aio.ServicerContext[Any, Any], needed: str, action: str,
                      target: str = "") -> Caller:
        """The caller, if allowed to do `action` with role `needed`; otherwise the call is ended
        (UNAUTHENTICATED: no valid token; PERMISSION_DENIED: wrong role or certificate) and audited."""
        metadata = metadata_of(context)
        peer, cert = self._peer(context, metadata)
        where = peer if cert is None else f"{peer} cert {cert}"
        token = bearer(metadata)
        found = self.tokens.lookup(token)
        if found is None:
            source = self._node_key_source(token) if token else None
            if source is not None:
                who, why = f"source:{source}", "a node key is not an API token; Query and Admin take API tokens only"
            elif token:
                who, why = "-", "unknown or revoked API token"
            else:
                who, why = "-", ("no API token (send metadata 'authorization: Bearer <token>'"
                                 + ("; this collector has none yet: " + _CREATE_HINT if not len(self.tokens) else "")
                                 + ")")
            await self._deny(context, grpc.StatusCode.UNAUTHENTICATED, why, who, None, action, target, where)
            raise AssertionError("context.abort returned")
        name, role = found
        if self._mutual_tls:
            problem = _binding_problem(cert, name)
            if problem:
                await self._deny(context, grpc.StatusCode.PERMISSION_DENIED, problem, name, role, action, target,
                                 where)
        if not allows(role, needed):
            await self._deny(context, grpc.StatusCode.PERMISSION_DENIED,
                             f"token {name!r} has role {role}; {action} needs {needed}", name, role, action,
                             target, where)
        return Caller(name, role, where)

    async def _deny(self, context: grpc.aio.ServicerContext[Any, Any], code: grpc.StatusCode, why: str, who: str,
                    role: str | None, action: str, target: str, peer: str) -> None:
        try:
            await self._write(who, role, action, target, peer, f"{code.name}: {why}", used=None)
        except AuditBacklogFull as exc:  # a flood of refused calls: refuse more, never answer unaudited
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        await context.abort(code, why)

    async def done(self, caller: Caller, action: str, target: str = "", outcome: str = "ok") -> None:
        """Audit an allowed call's outcome (and the token's last use)."""
        used = caller.name if caller.name != BOOTSTRAP else None
        await self._write(caller.name, caller.role, action, target, caller.peer, outcome, used=used)

    async def _write(self, who: str, role: str | None, action: str, target: str, peer: str, outcome: str, *,
                     used: str | None) -> None:
        entry: dict[str, object] = {"at": self._clock(), "who": who, "role": role, "action": action,
                                    "target": target, "peer": peer, "outcome": outcome}
        audit_log.info("who=%s role=%s action=%s target=%r peer=%s outcome=%r", who, role or "-", action, target,
                       peer, outcome)
        try:
            await self._record(entry, used)
        except NetcensusError as exc:
            log.error("audit log not written (%s): %s", action, exc)
            raise


def _binding_problem(cert: CertIdentity | None, token_name: str) -> str:
    """Why this client certificate may not carry this token under mutual TLS ('' when it may)."""
    if cert is None:
        return "mutual TLS: no client certificate identity reached the collector"
    if cert.kind in ("agent", "scanner"):
        return (f"certificate {cert.name!r} was issued to an {cert.kind}; Query and Admin need a user certificate "
                f"(`netcensus certs client --name {token_name} --kind user`)")
    if cert.kind != "user":
        return (f"certificate {cert.name!r} carries no netcensus user identity; issue one with "
                f"`netcensus certs client --name {token_name} --kind user`")
    if not hmac.compare_digest(cert.name.encode(), token_name.encode()):
        return f"certificate {cert.name!r} was issued to another user than token {token_name!r}"
    return ""

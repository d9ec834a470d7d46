"""Who may enrol under which source id: the decision, kept pure (no gRPC, no DuckDB, clock injected).

Why a gate of its own: an enrolment secret is shared by a whole fleet, so it proves only "one of
ours", never "this host". Before this gate, anyone holding the secret could enrol under another
host's source id, get a fresh key, cut the victim off and overwrite its inventory. Like osquery's
per-host node keys (Fleet re-enrols a host only with its own key or an operator's say-so), a
source id that already has a live key is re-enrolled only when the caller

* presents that source's current node key (an agent renewing its own key), or
* an admin approved one re-enrolment of that id beforehand (a reinstalled machine that lost its
  key) - one-shot, with an expiry, and logged when granted and when used.

A source's kind (agent or scanner) is fixed at its first enrolment, because the kind decides what
the source may report (collector/wire/validate.py: check_body_kind).

Enrolment is also rate-limited per peer address and per enrolment secret (token buckets), so a
flood of enrolments cannot fill the sources table or the keyring.

Under mutual TLS a source is also bound to the client certificate of its first enrolment
(collector/ingest/binding.py): a re-enrolment of its id, even with its key or an approval, must
present a certificate of the same name and kind.

One gate decides for the whole collector: with `--workers N` the front-ends ask the writer process,
which holds the gate, so the limits are global and two concurrent enrolments of one id cannot both
win (`decide` and the caller's `commit` run under one lock there).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from collector.escaping import escape_text
from collector.ingest.binding import certificate_problem
from collector.ingest.ratelimit import RateLimiter

log = logging.getLogger("netcensus.enrolment")

# gRPC status names (the servicer maps them; this module stays free of grpc).
RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
UNAUTHENTICATED = "UNAUTHENTICATED"
PERMISSION_DENIED = "PERMISSION_DENIED"
ALREADY_EXISTS = "ALREADY_EXISTS"
UNAVAILABLE = "UNAVAILABLE"
INTERNAL = "INTERNAL"


@dataclass(frozen=True, slots=True)
class EnrolAttempt:
    """One Enroll call as the gate sees it: hashes only, never a key or a secret.

    Attributes:
        peer: the caller's address without its port (the per-peer bucket's key).
        secret_ok: whether the enrolment secret matched (a wrong one still spends the peer's tokens).
        secret_key: which per-secret bucket to charge (a hash of the secret; one value for open enrolment).
        source_id: the id the caller asked for (already chosen when it sent none).
        kind: "agent" or "scanner".
        hostname: what the caller says it is called.
        key_hash: hash of the new node key the servicer generated.
        presented_hash: hash of the node key sent in the node-key metadata; "" when none was sent.
        mutual_tls: the collector requires client certificates (only then is the binding checked).
        cert_kind: the client certificate's kind (its OU), "" without one.
        cert_name: the client certificate's name (its CN), "" without one.
        secret_given: whether the call carried any enrolment secret (none and a wrong one are told apart:
            the first is a missing setting on the agent, the second a stale or mistyped secret).
    """

    peer: str
    secret_ok: bool
    secret_key: str
    source_id: str
    kind: str
    hostname: str
    key_hash: str
    presented_hash: str = ""
    mutual_tls: bool = False
    cert_kind: str = ""
    cert_name: str = ""
    secret_given: bool = True

    @property
    def bind_to(self) -> str:
        """The certificate name to record for the source ("" without mutual TLS)."""
        return self.cert_name if self.mutual_tls else ""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an enrolment was refused: a gRPC status name, one line for the caller, and a retry-after."""

    code: str
    reason: str
    retry_after_ms: int = 0
    metric: str = "enrolment_refused"  # the netcensus_rejects reason label


@dataclass(frozen=True, slots=True)
class Approval:
    """An admin's one-shot permission to re-enrol a source id without its key."""

    source_id: str
    expires_at: datetime
    approved_by: str


class Sources(Protocol):
    """What the gate needs to know about enrolled sources (collector/serve/service.py's Keyring)."""

    def current_hash(self, source_id: str) -> str | None:
        """Hash of source_id's live key; None when it has none."""

    def kind_of(self, source_id: str) -> str | None:
        """The kind source_id enrolled as; None when unknown."""

    def is_revoked(self, source_id: str) -> bool:
        """True once source_id was revoked."""

    def cert_of(self, source_id: str) -> str | None:
        """The client certificate name source_id is bound to; None when it is not bound."""


class EnrolmentGate:
    """Rate limits, ownership of source ids and admin approvals, decided in one place."""

    def __init__(self, sources: Sources, *, per_peer: RateLimiter, per_secret: RateLimiter,
                 approval_ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self._sources = sources
        self._per_peer = per_peer
        self._per_secret = per_secret
        self._ttl = approval_ttl
        self._clock = clock
        self._approvals: dict[str, Approval] = {}
        self.lock = threading.Lock()  # decide + commit of one enrolment happen under it

    def approve(self, source_id: str, approved_by: str) -> Approval | None:
        """Allow one re-enrolment of source_id until now + ttl; None when it has no live key.

        Approvals live in memory: a collector restart forgets them, and the admin approves again."""
        with self.lock:
            if self._sources.current_hash(source_id) is None:
                return None
            approval = Approval(source_id, self._clock() + self._ttl, approved_by)
            self._approvals[source_id] = approval
        log.warning("re-enrolment of source %s approved by %s until %s", source_id, approved_by,
                    approval.expires_at.isoformat(timespec="seconds"))
        return approval

    def approval_of(self, source_id: str) -> Approval | None:
        """The pending approval of source_id, if any (call under `lock`)."""
        return self._approvals.get(source_id)

    def restore(self, approval: Approval | None) -> None:
        """Put back an approval `decide` consumed for an enrolment that then could not be stored: a
        failing disk must not spend the admin's one-shot permission (call under `lock`)."""
        if approval is not None:
            self._approvals.setdefault(approval.source_id, approval)

    def decide(self, attempt: EnrolAttempt) -> Refusal | None:
        """None when the attempt may enrol (a used approval is consumed); else why not.

        The caller holds `lock` from here until it has stored the new key, so no second enrolment
        of the same id can be decided against the state before it."""
        refusal = self._limit(self._per_peer, attempt.peer, f"from {attempt.peer}", "enrol_rate_per_peer")
        if refusal is not None:
            return refusal
        if not attempt.secret_ok:
            if not attempt.secret_given:
                return Refusal(UNAUTHENTICATED, "no enrolment secret was given, and this collector requires one: "
                               "set NETCENSUS_ENROL_SECRET (or enrol_secret_file) on the agent",
                               metric="bad_enrolment_secret")
            return Refusal(UNAUTHENTICATED, "enrolment secret is wrong", metric="bad_enrolment_secret")
        refusal = self._limit(self._per_secret, attempt.secret_key, "with this enrolment secret",
                              "enrol_rate_per_secret")
        if refusal is not None:
            return refusal
        source_id = attempt.source_id
        if self._sources.is_revoked(source_id):
            return Refusal(PERMISSION_DENIED, f"source {source_id} was revoked; enrol under a new source id",
                           metric="revoked")
        current = self._sources.current_hash(source_id)
        if current is None:
            return None
        owns_key = bool(attempt.presented_hash) and attempt.presented_hash == current
        # An approval also covers a stale key (a machine restored from a backup presents its old one).
        approval = None if owns_key else self._approvals.get(source_id)
        if approval is not None and approval.expires_at <= self._clock():
            del self._approvals[source_id]
            approval = None
        if not owns_key and approval is None:
            if attempt.presented_hash:
                return Refusal(PERMISSION_DENIED, f"the node key presented is not the current key of source "
                               f"{source_id}; an admin can allow one re-enrolment: netcensus sources approve "
                               f"{source_id}", metric="hijack")
            return Refusal(ALREADY_EXISTS, f"source {source_id} is already enrolled; re-enrol with its current node "
                           f"key or ask an admin to run: netcensus sources approve {source_id}", metric="hijack")
        # The caller owns the id (its key, or an approval): only now say what its kind is.
        kind = self._sources.kind_of(source_id)
        if kind and kind != attempt.kind:
            return Refusal(PERMISSION_DENIED, f"source {source_id} is enrolled as {kind}; a source's kind cannot "
                           f"change: enrol the {attempt.kind} under a source id of its own", metric="wrong_kind")
        if attempt.mutual_tls:
            bound = self._sources.cert_of(source_id)
            problem = certificate_problem(attempt.cert_kind, attempt.cert_name, kind or attempt.kind, bound)
            if problem:
                log.warning("enrolment of source %s from %s with certificate %s:%s refused: the source is bound to "
                            "certificate %s:%s", source_id, attempt.peer, escape_text(attempt.cert_kind),
                            escape_text(attempt.cert_name), kind or "?", escape_text(bound or ""))
                return Refusal(PERMISSION_DENIED, problem, metric="certificate_mismatch")
        if approval is not None:
            del self._approvals[source_id]
            log.warning("source %s re-enrolled from %s on the approval of %s", source_id, attempt.peer,
                        approval.approved_by)
        return None

    @staticmethod
    def _limit(limiter: RateLimiter, key: str, where: str, knob: str) -> Refusal | None:
        wait = limiter.take(key)
        if wait <= 0:
            return None
        retry_ms = max(100, int(wait * 1000) + 1)
        return Refusal(RESOURCE_EXHAUSTED, f"too many enrolments {where} ({knob} = {limiter.rate:g}/s); "
                       f"retry after {retry_ms} ms", retry_ms, metric="enrol_rate_limited")

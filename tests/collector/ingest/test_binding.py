"""The Ingest certificate rule and the gate's binding check on their own (no gRPC, no DuckDB)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from collector.ingest.binding import certificate_problem
from collector.ingest.enrolment import PERMISSION_DENIED, EnrolAttempt, EnrolmentGate
from collector.ingest.ratelimit import RateLimiter
from collector.serve.service import Keyring


@pytest.mark.parametrize(("cert_kind", "cert_name", "kind", "bound", "expect"), [
    ("agent", "host-a", "agent", None, ""),
    ("agent", "host-a", "agent", "host-a", ""),
    ("scanner", "scan1", "scanner", None, ""),
    ("user", "carol", "agent", None, "carries a user; Ingest needs an agent certificate"),
    ("", "legacy", "scanner", None, "carries no netcensus agent or scanner identity; Ingest needs a scanner"),
    ("agent", "host-a", "scanner", None, "was issued to an agent, not to a scanner"),
    ("agent", "", "agent", None, "has no name (CN)"),
    ("agent", "host-b", "agent", "host-a", "is not the one this source enrolled with"),
    ("agent", "host-a\n", "agent", "host-a", "is not the one this source enrolled with"),
])
def test_certificate_problem(cert_kind: str, cert_name: str, kind: str, bound: str | None, expect: str) -> None:
    problem = certificate_problem(cert_kind, cert_name, kind, bound)
    assert (expect in problem) if expect else problem == ""
    assert "\n" not in problem, "one line, the name escaped"
    if expect:
        assert f"netcensus certs client --kind {kind}" in problem or "revoke it" in problem
        assert bound is None or bound == cert_name or repr(bound) not in problem


def _gate(keyring: Keyring, now: datetime) -> EnrolmentGate:
    return EnrolmentGate(keyring, approval_ttl=timedelta(minutes=5), clock=lambda: now,
                         per_peer=RateLimiter(0, 1), per_secret=RateLimiter(0, 1))


BASE = EnrolAttempt(peer="ipv4:192.0.2.9", secret_ok=True, secret_key="fleet", source_id="s1", kind="agent",
                    hostname="h", key_hash="new", presented_hash="h1", mutual_tls=True, cert_kind="agent",
                    cert_name="host-a")


def test_the_gate_holds_a_bound_source_to_its_certificate() -> None:
    keyring = Keyring({"s1": "h1"}, kinds={"s1": "agent"}, certs={"s1": "host-a"})
    g = _gate(keyring, datetime(2026, 12, 1, tzinfo=UTC))
    assert g.decide(BASE) is None
    refusal = g.decide(replace(BASE, cert_name="host-b"))
    assert refusal is not None and refusal.code == PERMISSION_DENIED and refusal.metric == "certificate_mismatch"
    assert g.decide(replace(BASE, cert_name="host-b", mutual_tls=False)) is None, "binding only under mutual TLS"
    # An approval does not move the binding, and is not spent by the refused attempt.
    g.approve("s1", "admin")
    refusal = g.decide(replace(BASE, presented_hash="", cert_name="host-b"))
    assert refusal is not None and refusal.code == PERMISSION_DENIED
    assert g.approval_of("s1") is not None
    assert g.decide(replace(BASE, presented_hash="")) is None and g.approval_of("s1") is None


def test_an_unbound_source_is_bound_by_its_first_mtls_enrolment_and_keeps_it() -> None:
    keyring = Keyring({"s1": "h1"}, kinds={"s1": "agent"})
    assert keyring.cert_of("s1") is None
    keyring.replace("s1", "h2", "agent", "host-b")
    keyring.replace("s1", "h3", "agent", "host-c")
    assert keyring.cert_of("s1") == "host-b" and keyring.certs() == {"s1": "host-b"}


def test_a_spent_approval_is_put_back_when_the_enrolment_is_not_stored() -> None:
    keyring = Keyring({"s1": "h1"}, kinds={"s1": "agent"})
    g = _gate(keyring, datetime(2026, 12, 1, tzinfo=UTC))
    g.approve("s1", "admin")
    saved = g.approval_of("s1")
    assert g.decide(replace(BASE, presented_hash="", mutual_tls=False)) is None and g.approval_of("s1") is None
    g.restore(saved)
    assert g.approval_of("s1") == saved

"""The enrolment gate on its own: ownership of source ids, approvals, kinds and both rate limits,
with injected clocks (no gRPC, no DuckDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.ingest.enrolment import (
    ALREADY_EXISTS,
    PERMISSION_DENIED,
    RESOURCE_EXHAUSTED,
    UNAUTHENTICATED,
    EnrolAttempt,
    EnrolmentGate,
)
from collector.ingest.ratelimit import RateLimiter
from collector.serve.service import Keyring, peer_address
from collector.wire.validate import check_body_kind


class Clocks:
    def __init__(self) -> None:
        self.wall = datetime(2026, 12, 1, tzinfo=UTC)
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono


def gate(keyring: Keyring, clocks: Clocks, *, peer: tuple[float, float] = (0, 1),
         secret: tuple[float, float] = (0, 1)) -> EnrolmentGate:
    return EnrolmentGate(keyring, approval_ttl=timedelta(minutes=5), clock=clocks.now,
                         per_peer=RateLimiter(*peer, clock=clocks.monotonic),
                         per_secret=RateLimiter(*secret, clock=clocks.monotonic))


def attempt(source_id: str = "s1", *, presented: str = "", kind: str = "agent", peer: str = "ipv4:192.0.2.9",
            secret_ok: bool = True) -> EnrolAttempt:
    return EnrolAttempt(peer=peer, secret_ok=secret_ok, secret_key="fleet", source_id=source_id, kind=kind,
                        hostname="h", key_hash="new", presented_hash=presented)


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def test_a_new_id_enrols_and_a_live_one_needs_its_key(clocks: Clocks) -> None:
    keyring = Keyring({"s1": "h1"}, kinds={"s1": "agent"})
    g = gate(keyring, clocks)
    assert g.decide(attempt("s2")) is None
    refusal = g.decide(attempt("s1"))
    assert refusal is not None and refusal.code == ALREADY_EXISTS
    refusal = g.decide(attempt("s1", presented="other"))
    assert refusal is not None and refusal.code == PERMISSION_DENIED
    assert g.decide(attempt("s1", presented="h1")) is None


def test_a_non_owner_learns_nothing_about_the_kind(clocks: Clocks) -> None:
    g = gate(Keyring({"s1": "h1"}, kinds={"s1": "agent"}), clocks)
    refusal = g.decide(attempt("s1", kind="scanner"))
    assert refusal is not None and refusal.code == ALREADY_EXISTS and "agent" not in refusal.reason
    refusal = g.decide(attempt("s1", kind="scanner", presented="h1"))
    assert refusal is not None and refusal.code == PERMISSION_DENIED and "enrolled as agent" in refusal.reason


def test_an_approval_is_one_shot_and_expires(clocks: Clocks) -> None:
    g = gate(Keyring({"s1": "h1", "s2": "h2"}, kinds={"s1": "agent", "s2": "agent"}), clocks)
    assert g.approve("nobody", "admin") is None
    approval = g.approve("s1", "admin")
    assert approval is not None and approval.expires_at == clocks.wall + timedelta(minutes=5)
    # A refused kind change does not use the approval up.
    assert g.decide(attempt("s1", kind="scanner")) is not None
    assert g.decide(attempt("s1")) is None
    assert g.decide(attempt("s1")) is not None
    g.approve("s2", "admin")
    clocks.wall += timedelta(minutes=5)
    refusal = g.decide(attempt("s2"))
    assert refusal is not None and refusal.code == ALREADY_EXISTS


def test_an_approval_covers_a_stale_key(clocks: Clocks) -> None:
    g = gate(Keyring({"s1": "h1"}, kinds={"s1": "agent"}), clocks)
    g.approve("s1", "admin")
    assert g.decide(attempt("s1", presented="restored-from-backup")) is None
    refusal = g.decide(attempt("s1", presented="restored-from-backup"))
    assert refusal is not None and refusal.code == PERMISSION_DENIED


def test_revoked_ids_stay_refused_even_when_approved(clocks: Clocks) -> None:
    keyring = Keyring({"s1": "h1"}, kinds={"s1": "agent"})
    g = gate(keyring, clocks)
    g.approve("s1", "admin")
    keyring.revoke("s1")
    refusal = g.decide(attempt("s1"))
    assert refusal is not None and refusal.code == PERMISSION_DENIED and "revoked" in refusal.reason


def test_rate_limits_per_peer_and_per_secret(clocks: Clocks) -> None:
    g = gate(Keyring({}), clocks, peer=(1.0, 2.0), secret=(10.0, 3.0))
    assert g.decide(attempt("a", peer="p1")) is None
    assert g.decide(attempt("b", peer="p1")) is None
    refusal = g.decide(attempt("c", peer="p1"))
    assert refusal is not None and refusal.code == RESOURCE_EXHAUSTED and 1000 <= refusal.retry_after_ms <= 1001
    assert "enrol_rate_per_peer" in refusal.reason
    assert g.decide(attempt("d", peer="p2")) is None  # another peer has its own bucket ...
    refusal = g.decide(attempt("e", peer="p3"))        # ... but the fleet's secret is spent
    assert refusal is not None and refusal.code == RESOURCE_EXHAUSTED and "enrol_rate_per_secret" in refusal.reason
    clocks.mono += 1.0
    assert g.decide(attempt("f", peer="p1")) is None


def test_a_wrong_secret_spends_the_peer_tokens_only(clocks: Clocks) -> None:
    g = gate(Keyring({}), clocks, peer=(1.0, 2.0), secret=(1.0, 1.0))
    for _ in range(2):
        refusal = g.decide(attempt(secret_ok=False))
        assert refusal is not None and refusal.code == UNAUTHENTICATED
    refusal = g.decide(attempt(secret_ok=False))
    assert refusal is not None and refusal.code == RESOURCE_EXHAUSTED
    assert g.decide(attempt(peer="p2")) is None  # the secret's bucket was untouched


@pytest.mark.parametrize(("peer", "address"), [("ipv4:192.0.2.7:50312", "ipv4:192.0.2.7"),
                                               ("ipv6:[2001:db8::1]:443", "ipv6:[2001:db8::1]"),
                                               ("unix:/run/x.sock", "unix:/run/x.sock"), ("", "")])
def test_peer_address_drops_the_port(peer: str, address: str) -> None:
    assert peer_address(peer) == address


@pytest.mark.parametrize(("body", "kind", "allowed"), [
    ("host_snapshot", "agent", True), ("host_delta", "agent", True), ("heartbeat", "agent", True),
    ("scan", "agent", False), ("scan", "scanner", True), ("heartbeat", "scanner", True),
    ("host_snapshot", "scanner", False), ("host_delta", "scanner", False),
    ("heartbeat", None, True), ("host_snapshot", None, False), ("scan", None, False), (None, "agent", True)])
def test_what_each_kind_may_report(body: str | None, kind: str | None, allowed: bool) -> None:
    reason = check_body_kind(body, kind)
    assert (reason is None) == allowed
    if reason is not None:
        assert "\n" not in reason and (body or "") in reason

"""Dashboard passwords: scrypt hashes that verify, refuse wrong ones and never raise on a bad record."""

from __future__ import annotations

import pytest

from collector.errors import UsageError
from collector.serve.web.passwords import hash_password, verify_password


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("a long passphrase", n=2**10)
    assert stored.startswith("scrypt$1024$8$1$") and "a long passphrase" not in stored
    assert verify_password("a long passphrase", stored)
    assert not verify_password("a long passphrasE", stored)
    assert hash_password("a long passphrase", n=2**10) != stored  # a fresh salt each time


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$x$8$1$AA==$AA==", "bcrypt$1$2$3$4$5", "scrypt$1024$8$1$!!$??"])
def test_malformed_records_never_verify(stored: str) -> None:
    assert verify_password("anything at all", stored) is False


@pytest.mark.parametrize("bad", ["short", "has a\nnewline in it"])
def test_weak_or_pasted_passwords_are_refused(bad: str) -> None:
    with pytest.raises(UsageError):
        hash_password(bad)

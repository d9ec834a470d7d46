"""The pure parts of the access check: token format, names, roles, the bearer header, the forwarded
certificate identity."""

from __future__ import annotations

import pytest

from collector.errors import UsageError
from collector.serve.access import ADMIN, READER, TokenBook, allows, bearer, check_name, hash_secret, new_token
from collector.serve.tls import CertIdentity


def test_tokens_are_prefixed_random_and_kept_as_hashes() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(t.startswith("nct_") and len(t) >= 47 for t in tokens)
    token = tokens.pop()
    book = TokenBook({hash_secret(token): ("alice", READER)}, bootstrap="boot")
    assert book.lookup(token) == ("alice", READER)
    assert book.lookup("boot") == ("bootstrap", ADMIN)
    assert book.lookup("") is None and book.lookup(token + "x") is None and book.lookup(hash_secret(token)) is None
    book.remove("alice")
    assert book.lookup(token) is None and len(book) == 1


def test_roles() -> None:
    assert allows(ADMIN, READER) and allows(ADMIN, ADMIN) and allows(READER, READER)
    assert not allows(READER, ADMIN) and not allows("", READER)


@pytest.mark.parametrize("name", ["", "bad name", "-x", "a/b", "x" * 65, "bootstrap", "tab\there"])
def test_bad_token_names_are_one_line_usage_errors(name: str) -> None:
    with pytest.raises(UsageError):
        check_name(name)


def test_bearer_header_and_the_older_admin_header() -> None:
    assert bearer({"authorization": "Bearer abc"}) == "abc"
    assert bearer({"authorization": "bearer  abc "}) == "abc"
    assert bearer({"authorization": "Basic abc"}) == ""
    assert bearer({"x-netcensus-admin-token": "old"}) == "old"
    assert bearer({"authorization": "Bearer new", "x-netcensus-admin-token": "old"}) == "new"
    assert bearer({}) == ""


def test_forwarded_certificate_identity_survives_any_common_name() -> None:
    for identity in (CertIdentity("user", "carol"), CertIdentity("", "CN with:colon, comma and ü")):
        text = identity.forward()
        assert text.isascii() and CertIdentity.parse(text) == identity
    assert CertIdentity.parse("") is None

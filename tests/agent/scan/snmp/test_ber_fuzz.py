"""Hostile SNMP replies: random and mutated datagrams never crash the decoder, only raise BerError."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.scan.snmp import ber

# A well-formed GETRESPONSE to mutate (RFC 3416 §3, BER per X.690): v2c, community "public", one
# varbind sysName.0 = "lab-h1". Built as a request with the RESPONSE tag, then the NULL value replaced.
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
GOOD = ber.encode_request(1, b"public", ber.RESPONSE, 12345, [SYS_NAME])


def _decode(data: bytes) -> None:
    with contextlib.suppress(ber.BerError):
        ber.decode_response(data)


def test_the_seed_datagram_is_valid() -> None:
    response = ber.decode_response(GOOD)
    assert response is not None
    assert ber.peek_request_id(GOOD) == 12345


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes(data: bytes) -> None:
    _decode(data)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), max_size=6),
       st.integers(0, len(GOOD)))
def test_mutated_and_truncated_replies(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(GOOD)
    for pos, value in flips:
        data[pos] = value
    _decode(bytes(data[:cut]))
    _decode(bytes(data))

"""The BER codec of community messages (ber.py) against pysnmp's own pyasn1 codec, and hostile input."""

from __future__ import annotations

from typing import Any

import pytest

from agent.scan.snmp import ber

Oid = tuple[int, ...]


def _pysnmp_response(request_id: int, varbinds: list[tuple[Oid, Any]], *, status: int = 0, index: int = 0) -> bytes:
    from pyasn1.codec.ber import encoder  # type: ignore[import-untyped,unused-ignore]
    from pysnmp.proto import api

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = p.ResponsePDU()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_request_id(pdu, request_id)
    p.apiPDU.set_error_status(pdu, status)
    p.apiPDU.set_error_index(pdu, index)
    p.apiPDU.set_varbinds(pdu, varbinds)
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, "public")
    p.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def test_decode_matches_pysnmp_types() -> None:
    from pysnmp.proto import api, rfc1905

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    raw = _pysnmp_response(2**31 - 1, [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), p.OctetString(b"Cisco IOS \x00")),
        ((1, 3, 6, 1, 2, 1, 1, 2, 0), p.ObjectIdentifier((1, 3, 6, 1, 4, 1, 9, 1, 1208))),
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), p.TimeTicks(4294967295)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1), p.Gauge32(10**9)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 9, 1), p.Integer(-129)),
        ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), p.Counter64(2**64 - 1)),
        ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 192, 0, 2, 1), p.IpAddress("192.0.2.1")),
        ((2, 999, 1), rfc1905.noSuchObject),
        ((1, 3, 6, 1, 2, 1, 25, 6, 3, 1, 2, 200000), rfc1905.noSuchInstance),
        ((1, 3, 6, 1, 6, 3, 1), rfc1905.endOfMibView),
    ])
    resp = ber.decode_response(raw)
    assert resp.request_id == 2**31 - 1
    assert (resp.error_status, resp.error_index) == (0, 0)
    values = dict(resp.varbinds)
    assert values[(1, 3, 6, 1, 2, 1, 1, 1, 0)] == b"Cisco IOS \x00"
    assert values[(1, 3, 6, 1, 2, 1, 1, 2, 0)] == (1, 3, 6, 1, 4, 1, 9, 1, 1208)
    assert values[(1, 3, 6, 1, 2, 1, 1, 3, 0)] == 4294967295  # unsigned application type
    assert values[(1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1)] == 10**9
    assert values[(1, 3, 6, 1, 2, 1, 2, 2, 1, 9, 1)] == -129  # INTEGER is signed
    assert values[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)] == 2**64 - 1
    assert values[(1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 192, 0, 2, 1)] == b"\xc0\x00\x02\x01"
    assert values[(2, 999, 1)] is ber.NO_SUCH_OBJECT  # first arc 2: 40*2+999 as one subidentifier
    assert values[(1, 3, 6, 1, 2, 1, 25, 6, 3, 1, 2, 200000)] is ber.NO_SUCH_INSTANCE
    assert values[(1, 3, 6, 1, 6, 3, 1)] is ber.END_OF_MIB_VIEW
    assert ber.peek_request_id(raw) == 2**31 - 1


def test_error_status_and_index_decoded() -> None:
    raw = _pysnmp_response(7, [((1, 3, 6, 1, 2, 1, 1, 5, 0), None)], status=2, index=1)
    resp = ber.decode_response(raw)
    assert (resp.error_status, resp.error_index) == (2, 1)


def test_encoded_request_parses_with_pysnmp() -> None:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    oids = [(1, 3, 6, 1, 2, 1, 2, 2, 1, 2), (1, 3, 6, 1, 4, 1, 2636, 3, 1, 13, 1, 200000, 128)]
    raw = ber.encode_request(1, b"s3cret", ber.GETBULK, 123456, oids, max_repetitions=24)
    msg, rest = decoder.decode(raw, asn1Spec=p.Message())
    assert rest == b""
    pdu = p.apiMessage.get_pdu(msg)
    assert bytes(p.apiMessage.get_community(msg)) == b"s3cret"
    assert int(p.apiBulkPDU.get_request_id(pdu)) == 123456
    assert int(p.apiBulkPDU.get_max_repetitions(pdu)) == 24
    assert [tuple(n) for n, _ in p.apiBulkPDU.get_varbinds(pdu)] == oids


def test_v3_discovery_probe_is_a_v3_message() -> None:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
    from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

    raw = ber.encode_v3_discovery(41, 42)
    msg, rest = decoder.decode(raw, asn1Spec=SNMPv3Message())
    assert rest == b""
    assert int(msg["msgVersion"]) == 3
    assert int(msg["msgGlobalData"]["msgID"]) == 41
    assert bytes(msg["msgGlobalData"]["msgFlags"]) == b"\x04"  # reportable, noAuthNoPriv
    usm, _ = decoder.decode(bytes(msg["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
    assert bytes(usm["msgAuthoritativeEngineId"]) == b""  # asks the agent for its engine ID
    assert ber.peek_request_id(raw) == 42


@pytest.mark.parametrize("junk", [b"", b"\x30", b"\x30\x80\x00\x00", b"\x30\x05\x02\x01\x01\x04\x09",
                                  b"\x04\x03abc", b"\x30\x84\xff\xff\xff\xff"])
def test_malformed_datagrams_raise_ber_error(junk: bytes) -> None:
    with pytest.raises(ber.BerError):
        ber.decode_response(junk)
    assert ber.peek_request_id(junk) is None


def test_a_request_is_not_a_response() -> None:
    raw = ber.encode_request(1, b"public", ber.GET, 1, [(1, 3, 6, 1, 2, 1, 1, 1, 0)])
    with pytest.raises(ber.BerError, match="not a Response"):
        ber.decode_response(raw)

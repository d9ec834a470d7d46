"""SNMPv3 sessions through pysnmp's asyncio v3arch API (the only module importing pysnmp's USM).

ONE SnmpEngine per sweep (Pacer.engine): creating an engine compiles MIB modules, ~0.2 s of CPU.
pysnmp is imported inside the functions, so a sweep that never meets a v3 credential never
imports it. Answers are converted to the plain values ber.py decodes (plain()), so the MIB
parsers see one shape whatever the version.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from agent.scan.snmp import ber
from agent.scan.snmp.credentials import Credential
from agent.scan.snmp.oids import Oid
from agent.scan.snmp.session import TOO_BIG, Pacer, Session, SnmpError, status_error


def auth_data(cred: Credential) -> Any:
    """pysnmp's UsmUserData for a v3 credential (protocol names as options.py accepts them)."""
    from pysnmp.hlapi.v3arch.asyncio import UsmUserData
    from pysnmp.hlapi.v3arch.asyncio import auth as usm

    user = cred.user
    assert user is not None
    auth_map = {
        "none": usm.USM_AUTH_NONE, "md5": usm.USM_AUTH_HMAC96_MD5, "sha": usm.USM_AUTH_HMAC96_SHA,
        "sha224": usm.USM_AUTH_HMAC128_SHA224, "sha256": usm.USM_AUTH_HMAC192_SHA256,
        "sha384": usm.USM_AUTH_HMAC256_SHA384, "sha512": usm.USM_AUTH_HMAC384_SHA512,
    }
    priv_map = {
        "none": usm.USM_PRIV_NONE, "des": usm.USM_PRIV_CBC56_DES, "3des": usm.USM_PRIV_CBC168_3DES,
        "aes": usm.USM_PRIV_CFB128_AES, "aes128": usm.USM_PRIV_CFB128_AES,
        # Blumenthal key extension (draft-blumenthal-aes-usm-04): net-snmp's AES192/AES256.
        "aes192": usm.USM_PRIV_CFB192_AES_BLUMENTHAL, "aes256": usm.USM_PRIV_CFB256_AES_BLUMENTHAL,
        # Reeder key extension (pysnmp's usmAesCfb192/256Protocol): Cisco IOS, net-snmp AES256C.
        "aes192c": usm.USM_PRIV_CFB192_AES, "aes256c": usm.USM_PRIV_CFB256_AES,
    }
    return UsmUserData(
        user.user,
        authKey=user.auth_key or None,
        privKey=user.priv_key or None,
        authProtocol=auth_map[user.auth_protocol],
        privProtocol=priv_map[user.priv_protocol],
    )


def plain(value: Any) -> Any:
    """A pysnmp/pyasn1 value as the plain value ber.py would have decoded."""
    name = type(value).__name__
    if name == "NoSuchObject":
        return ber.NO_SUCH_OBJECT
    if name == "NoSuchInstance":
        return ber.NO_SUCH_INSTANCE
    if name == "EndOfMibView":
        return ber.END_OF_MIB_VIEW
    if hasattr(value, "asTuple"):
        return tuple(value.asTuple())
    if hasattr(value, "asOctets"):
        return bytes(value.asOctets())
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class UsmSession(Session):
    """SNMPv3 through pysnmp's asyncio v3arch API, on the sweep's shared engine."""

    def __init__(self, pacer: Pacer, cred: Credential, transport: Any, *, timeout: float, max_rows: int) -> None:
        """Talk through pysnmp `transport` (a UdpTransportTarget) with a v3 `cred`."""
        from pysnmp.hlapi.v3arch.asyncio import ContextData

        super().__init__(cred, max_rows=max_rows)
        self.pacer = pacer
        self.auth = auth_data(cred)
        self.transport = transport
        self.context = ContextData()
        self.timeout = timeout
        self.answered = False

    async def _call(self, fn: Any, *args: Any) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType

        oids: Sequence[Oid] = args[-1]
        limit = self.pacer.limit
        await limit.acquire()
        try:
            sent = time.monotonic()
            err, status, index, vbs = await fn(self.pacer.engine, self.auth, self.transport, self.context,
                                               *args[:-1], *(ObjectType(ObjectIdentity(o)) for o in oids),
                                               lookupMib=False)
        finally:
            limit.release()
        if err:
            if "timeout" in str(err).lower() and self.answered:
                limit.overloaded()
            raise SnmpError(str(err))
        limit.answered(time.monotonic() - sent, self.timeout)
        self.answered = True
        if status:
            code = int(status)
            raise _StatusError(code, int(index))
        return [(tuple(name), plain(val)) for name, val in vbs]

    async def _get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import get_cmd

        try:
            return await self._call(get_cmd, oids)
        except _StatusError as exc:
            raise status_error(exc.code) from exc

    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import bulk_cmd

        try:
            return await self._call(bulk_cmd, 0, reps, oids)
        except _StatusError as exc:
            if exc.code == TOO_BIG and reps > 1:
                self.bulk_varbinds = max(len(oids), self.bulk_varbinds // 2)
                return await self._bulk(oids, max(1, reps // 2))
            raise status_error(exc.code) from exc

    async def _next(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import next_cmd

        try:
            return await self._call(next_cmd, oids)
        except _StatusError as exc:
            raise status_error(exc.code) from exc


class _StatusError(Exception):
    def __init__(self, code: int, index: int) -> None:
        super().__init__(code)
        self.code, self.index = code, index

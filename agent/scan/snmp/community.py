"""SNMPv1/v2c sessions: community messages through the small codec in ber.py over a Channel.

pyasn1 decoding was the scanner's main CPU cost (see ber.py); community messages need only a
tiny, strict subset of BER.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from agent.scan.snmp import ber
from agent.scan.snmp.channel import REQUEST_IDS, Channel, socket_reason
from agent.scan.snmp.credentials import Credential
from agent.scan.snmp.oids import Oid
from agent.scan.snmp.session import TOO_BIG, Pacer, Session, SnmpError, SnmpUnreachable, status_error


class CommunitySession(Session):
    """SNMPv1/v2c over a Channel with the ber.py codec."""

    def __init__(self, channel: Channel, cred: Credential, pacer: Pacer, *, timeout: float, retries: int,
                 max_rows: int) -> None:
        """Talk to the agent behind `channel` with `cred` (a community credential)."""
        super().__init__(cred, max_rows=max_rows)
        self.channel = channel
        self.pacer = pacer
        self.version = 0 if cred.version == "1" else 1
        self.community = cred.community.encode()
        self.timeout = timeout
        self.retries = retries
        self.answered = False  # once true, a timeout means overload rather than absence
        self.retransmissions = 0
        # Smoothed round trip and its variation (RFC 6298 §2): an agent that has slowed down
        # (busy, or queueing our own parallel requests) is waited for a little longer than the
        # configured timeout before a retransmission doubles its work; never shorter.
        self.srtt = 0.0
        self.rttvar = 0.0

    def _wait_s(self) -> float:
        if not self.answered:
            return self.timeout
        return max(self.timeout, min(self.srtt + 4 * self.rttvar, 4 * self.timeout))

    def _sample(self, rtt: float) -> None:
        if not self.answered:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt

    async def _request(self, pdu_tag: int, oids: Sequence[Oid], *, reps: int = 0) -> ber.Response:
        rid = next(REQUEST_IDS) & 0x7FFFFFFF
        raw = ber.encode_request(self.version, self.community, pdu_tag, rid, oids,
                                 max_repetitions=reps if pdu_tag == ber.GETBULK else 0)
        data = await self._exchange(raw, rid)
        try:
            return ber.decode_response(data)
        except ber.BerError as exc:
            raise SnmpError(f"malformed response: {exc}") from exc

    async def _exchange(self, raw: bytes, rid: int) -> bytes:
        ch = self.channel
        if ch.refused is not None:
            raise SnmpUnreachable(f"no SNMP response ({socket_reason(ch.refused)})")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bytes] = loop.create_future()
        ch.waiters[rid] = fut
        limit = self.pacer.limit
        try:
            # Retransmissions reuse the request-id: a late answer to an earlier copy still counts.
            first_sent = 0.0
            for attempt in range(self.retries + 1):
                await limit.acquire()
                wait = self._wait_s()
                try:
                    sent = time.monotonic()
                    first_sent = first_sent or sent
                    assert ch.transport is not None
                    ch.transport.sendto(raw)
                    if attempt:
                        self.retransmissions += 1
                    done, _ = await asyncio.wait({fut}, timeout=wait)
                finally:
                    limit.release()
                if done:
                    data = fut.result()  # raises SnmpUnreachable if the socket reported an error
                    now = time.monotonic()
                    limit.answered(now - sent, wait)
                    if not attempt:  # Karn's rule: an answer to a retransmission is ambiguous
                        self._sample(now - first_sent)
                    self.answered = True
                    return data
                if self.answered:
                    limit.overloaded()
            raise SnmpError("no SNMP response (timeout)")
        finally:
            ch.waiters.pop(rid, None)
            if not fut.done():
                fut.cancel()

    async def _get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        resp = await self._request(ber.GET, oids)
        if resp.error_status:
            # v1 agents answer noSuchName (2) for the whole PDU when one OID is missing
            # (RFC 1157 §4.1.2); ask one by one then.
            if resp.error_status == 2 and len(oids) > 1:
                out: list[tuple[Oid, Any]] = []
                for o in oids:
                    with contextlib.suppress(SnmpError):
                        out += await self._get([o])
                return out
            raise status_error(resp.error_status)
        return resp.varbinds

    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        if self.version == 0:
            return await self._getnext_v1(oids)
        resp = await self._request(ber.GETBULK, oids, reps=reps)
        if resp.error_status:
            if resp.error_status == TOO_BIG and reps > 1:  # tooBig (RFC 3416 §4.2.3): ask for fewer rows
                self.bulk_varbinds = max(len(oids), self.bulk_varbinds // 2)
                return await self._bulk(oids, max(1, reps // 2))
            raise status_error(resp.error_status)
        return resp.varbinds

    async def _getnext_v1(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        # GETBULK does not exist in SNMPv1 (RFC 3416 §4.2.3). A varbind past the end of the MIB
        # fails the whole PDU with noSuchName and its index (RFC 1157 §4.1.3): mark that one as
        # endOfMibView and ask again for the others.
        ended: dict[int, Any] = {}
        while True:
            ask = [i for i in range(len(oids)) if i not in ended]
            if not ask:
                return [(oids[i], ber.END_OF_MIB_VIEW) for i in range(len(oids))]
            resp = await self._request(ber.GETNEXT, [oids[i] for i in ask])
            if resp.error_status == 2 and 1 <= resp.error_index <= len(ask):
                ended[ask[resp.error_index - 1]] = True
                continue
            if resp.error_status:
                raise status_error(resp.error_status)
            got = dict(zip(ask, resp.varbinds, strict=False))
            return [got.get(i, (oids[i], ber.END_OF_MIB_VIEW)) for i in range(len(oids))]

    async def _next(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        resp = await self._request(ber.GETNEXT, oids)
        if resp.error_status:
            raise status_error(resp.error_status)
        return resp.varbinds

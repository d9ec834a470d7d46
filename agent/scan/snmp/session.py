"""Talking to one device, transport aside: the Session base (GET, census GETNEXT, lockstep table
walks) and the pacing every device of a sweep shares (AdaptiveLimit, Pacer).

Every request of every device passes one adaptive in-flight limit (AIMD on timeouts, and a gentle
decrease when round trips grow), so an overloaded agent is given room instead of being buried in
retransmissions. Transports subclass Session: community.py (v1/v2c) and usm.py (v3).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from agent.scan.options import SweepOptions
from agent.scan.snmp.credentials import Credential
from agent.scan.snmp.oids import Oid
from agent.scan.snmp.values import WalkResult, dotted, is_exception

# Varbinds asked for per GETBULK (max-repetitions x columns). 48 keeps a response of typical
# table rows under ~4 KB (a few IP fragments at most) while cutting round trips ~50x against
# one-column walks; tooBig (RFC 3416 §4.2.3) halves it for agents with small buffers.
BULK_VARBINDS = 48
MAX_REPETITIONS = 25  # single-column walks, as snmpbulkwalk's -Cr25
FIRST_ROWS = 8  # rows asked for by a table's first GETBULK (doubling after)
WALKS_PER_DEVICE = 4  # table streams in flight per device (fewer after a timeout: back-off)


class SnmpError(Exception):
    """A request failed: timeout, authentication, or an error-status; str() is the reason."""


class SnmpUnreachable(SnmpError):
    """The host said no SNMP agent listens (ICMP port unreachable or an immediate socket error)."""


class SnmpTooBig(SnmpError):
    """The agent answered tooBig: the response would not fit its buffer; asking for less may do."""


# RFC 3416 §3 error-status names, for readable reasons.
STATUS_NAMES = {1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr", 6: "noAccess",
                7: "wrongType", 8: "wrongLength", 9: "wrongEncoding", 10: "wrongValue", 11: "noCreation",
                12: "inconsistentValue", 13: "resourceUnavailable", 14: "commitFailed", 15: "undoFailed",
                16: "authorizationError", 17: "notWritable", 18: "inconsistentName"}
TOO_BIG = 1


def status_error(code: int) -> SnmpError:
    """The error for a response's error-status, by its RFC 3416 name (tooBig as SnmpTooBig)."""
    return (SnmpTooBig if code == TOO_BIG else SnmpError)(f"error-status {STATUS_NAMES.get(code, code)}")


# --- pacing -------------------------------------------------------------------------------------

class AdaptiveLimit:
    """How many requests may be in flight at once, adapted to how the peers cope (AIMD).

    A timeout from a device that has already answered is read as overload (the agent, or the
    path to it, is dropping or queueing): the limit halves, at most once per `cooldown_s`. A
    round trip longer than half the timeout means queues are building: the limit shrinks by a
    tenth before anything is lost. Quick answers grow it by 1/limit each (one step per "window").
    Silent addresses do not count: their timeouts say nothing about load.
    """

    def __init__(self, start: int, *, floor: int = 1, ceiling: int = 256, cooldown_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Start at `start` requests in flight, never below `floor` nor above `ceiling`."""
        self.floor, self.ceiling = max(1, floor), max(1, ceiling)
        self.limit = float(min(max(start, self.floor), self.ceiling))
        self.inflight = 0
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._last_cut = -1e9
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.cuts = 0

    async def acquire(self) -> None:
        """Wait for a free slot."""
        while self.inflight >= int(self.limit):
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
                self._wake()
                raise
        self.inflight += 1

    def release(self) -> None:
        """Give a slot back."""
        self.inflight -= 1
        self._wake()

    def _wake(self) -> None:
        free = int(self.limit) - self.inflight
        while free > 0 and self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                free -= 1

    def answered(self, rtt: float, timeout: float) -> None:
        """An answer came back after `rtt` seconds (the request's timeout was `timeout`)."""
        if rtt > timeout / 2:
            self.limit = max(self.floor, self.limit * 0.9)
        else:
            self.limit = min(self.ceiling, self.limit + 1.0 / self.limit)
            self._wake()

    def overloaded(self) -> None:
        """A peer known to be alive did not answer in time."""
        now = self.clock()
        if now - self._last_cut >= self.cooldown_s:
            self._last_cut = now
            self.limit = max(self.floor, self.limit / 2)
            self.cuts += 1


# --- walking ------------------------------------------------------------------------------------

class Session(abc.ABC):
    """One device, one working credential: GET, GETNEXT/GETBULK and table walks.

    Subclasses supply the transport (_get/_bulk); the walking logic here is shared and is
    unit-tested with a scripted _bulk.
    """

    cred: Credential
    max_rows: int
    varbinds: int
    bulk_varbinds: int = BULK_VARBINDS

    def __init__(self, cred: Credential, *, max_rows: int) -> None:
        """A session for `cred` that cuts any subtree at `max_rows` rows."""
        self.cred = cred
        self.max_rows = max_rows
        self.varbinds = 0
        self.bulk_varbinds = BULK_VARBINDS

    @abc.abstractmethod
    async def _get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        """GET of `oids` over this session's transport."""

    @abc.abstractmethod
    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        """GETBULK (non-repeaters 0) of `oids`; GETNEXT in SNMPv1 (reps ignored)."""

    async def get(self, oids: Sequence[Oid]) -> dict[Oid, Any]:
        """GET several scalars; missing ones are simply absent from the result. Where the answer would
        overflow the agent's buffer (tooBig), each half is asked for on its own."""
        try:
            vbs = await self._get(oids)
        except SnmpTooBig:
            if len(oids) < 2:
                raise
            half = len(oids) // 2
            return {**await self.get(oids[:half]), **await self.get(oids[half:])}
        self.varbinds += len(vbs)
        return {name: val for name, val in vbs if not is_exception(val)}

    async def first_rows(self, prefixes: Sequence[Oid]) -> list[bool]:
        """One GETNEXT naming every prefix: True where the prefix has at least one row."""
        return [v is not None for v in await self.first_values(prefixes)]

    async def first_values(self, prefixes: Sequence[Oid]) -> list[Any]:
        """One GETNEXT naming every prefix: the value of its first object, None where it has none.

        The census asks this once per device; the values serve where the first object is a scalar
        whose value matters (IP-MIB ipForwarding), at no extra request. An agent whose buffer the
        response would overflow answers tooBig (RFC 3416 §4.2.2), or to a GETBULK fewer varbinds than
        asked (§4.2.3) or none (net-snmp past its maxGetbulkResponses): then the rest, or each half,
        is asked again, so that no prefix reads as empty only because its answer did not fit.
        """
        if not prefixes:
            return []
        try:
            vbs = await self._bulk(prefixes, 0) if self.cred.version == "1" else await self._next(prefixes)
        except SnmpTooBig:
            vbs = []
        answered = vbs[:len(prefixes)]
        if not answered and len(prefixes) > 1:
            half = len(prefixes) // 2
            return [*await self.first_values(prefixes[:half]), *await self.first_values(prefixes[half:])]
        if not answered:
            raise SnmpError(f"no answer to a GETNEXT of {dotted(prefixes[0])}")
        got = [val if not is_exception(val) and oid[:len(p)] == p else None
               for p, (oid, val) in zip(prefixes, answered, strict=False)]
        return got + await self.first_values(prefixes[len(answered):])

    async def next_name(self, oid: Oid) -> Oid | None:
        """GETNEXT of one OID: the name of the object that follows it, None at the end of the view."""
        vbs = await self._bulk([oid], 0) if self.cred.version == "1" else await self._next([oid])
        if not vbs or is_exception(vbs[0][1]):
            return None
        return vbs[0][0]

    async def _next(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        # GETBULK with non-repeaters = N is a GETNEXT of every varbind (RFC 3416 §4.2.3).
        return await self._bulk(oids, 1)

    async def walk(self, root: Oid) -> WalkResult:
        """Walk one subtree (see walk_table)."""
        return (await self.walk_table([root]))[0]

    async def walk_table(self, roots: Sequence[Oid]) -> list[WalkResult]:
        """Walk several subtrees (a table's columns) in lockstep, one GETBULK for all of them.

        Each request carries the cursor of every unfinished column, so one response holds
        whole rows. A column stops at the first OID outside its root, at endOfMibView, at an
        OID that does not increase (a broken agent would otherwise loop forever; RFC 3416 §4.2.3
        requires lexicographic order) and after `max_rows` rows (an endless table).
        """
        results = [WalkResult() for _ in roots]
        cursors = list(roots)
        active = list(range(len(roots)))
        # Slow start: most tables are short (a handful of ports, ARP entries, neighbours), and
        # every repetition past a table's end is work the agent does for nothing; so the first
        # request asks for FIRST_ROWS rows and each further one doubles, up to the varbind cap.
        rows_wanted = FIRST_ROWS
        while active:
            width = len(active)
            cap = max(1, self.bulk_varbinds // width) if len(roots) > 1 else MAX_REPETITIONS
            reps = min(cap, rows_wanted)
            rows_wanted *= 2
            vbs = await self._bulk([cursors[i] for i in active], reps)
            if not vbs:
                break
            done: set[int] = set()
            advanced = False
            for k, (oid, val) in enumerate(vbs):
                i = active[k % width]
                if i in done:
                    continue
                root, res = roots[i], results[i]
                if is_exception(val) or oid[:len(root)] != root:
                    done.add(i)
                    continue
                if oid <= cursors[i]:
                    res.note = f"walk of {dotted(root)} stopped: agent returned non-increasing OID {dotted(oid)}"
                    done.add(i)
                    continue
                res.rows.append((oid, val))
                self.varbinds += 1
                cursors[i] = oid
                advanced = True
                if len(res.rows) >= self.max_rows:
                    res.note = f"walk of {dotted(root)} cut at {self.max_rows} rows"
                    done.add(i)
            if not advanced and not done:
                break
            active = [i for i in active if i not in done]
        return results


class Pacer:
    """What every device of one sweep shares: the in-flight limit, and the v3 engine (lazily)."""

    def __init__(self, options: SweepOptions, limit: AdaptiveLimit | None = None) -> None:
        """Share `limit` (default: one sized from options.snmp_concurrency) across devices."""
        self.options = options
        self.limit = limit or AdaptiveLimit(min(16, options.snmp_concurrency * WALKS_PER_DEVICE),
                                            floor=2, ceiling=max(2, options.snmp_concurrency * WALKS_PER_DEVICE))
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        """The sweep's one pysnmp SnmpEngine (SNMPv3 only; USM state is kept per agent engine-ID)."""
        if self._engine is None:
            from pysnmp.hlapi.v3arch.asyncio import SnmpEngine
            self._engine = SnmpEngine()
        return self._engine

    def close(self) -> None:
        """Release the engine's sockets."""
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.close_dispatcher()
            self._engine = None

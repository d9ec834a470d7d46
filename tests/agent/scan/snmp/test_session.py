"""Session and pacing without a network: the adaptive in-flight limit, lockstep table walks with
slow-start repetitions, and walk termination (subtree end, non-increasing OIDs, endless tables)."""

from __future__ import annotations

import asyncio
from typing import Any

from agent.scan.snmp.credentials import Credential
from agent.scan.snmp.session import FIRST_ROWS, AdaptiveLimit, Session, SnmpTooBig
from tests.agent.scan.snmp.agents import TableAgent

Oid = tuple[int, ...]


# --- adaptive limit ------------------------------------------------------------------------------------

def test_adaptive_limit_halves_on_overload_once_per_cooldown_and_grows_back() -> None:
    now = [0.0]
    lim = AdaptiveLimit(16, floor=2, ceiling=32, cooldown_s=1.0, clock=lambda: now[0])
    lim.overloaded()
    lim.overloaded()  # same burst: one cut
    assert lim.limit == 8
    now[0] = 2.0
    lim.overloaded()
    assert lim.limit == 4
    for _ in range(40):
        lim.answered(0.01, 1.0)
    assert lim.limit > 8
    before = lim.limit
    lim.answered(0.9, 1.0)  # queueing: shrink before anything is lost
    assert lim.limit < before
    for _ in range(100):
        now[0] += 5
        lim.overloaded()
    assert lim.limit == 2


def test_adaptive_limit_bounds_requests_in_flight() -> None:
    lim = AdaptiveLimit(3, floor=1, ceiling=3)
    peak = 0

    async def worker() -> None:
        nonlocal peak
        await lim.acquire()
        peak = max(peak, lim.inflight)
        await asyncio.sleep(0)
        lim.release()

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(20)))

    asyncio.run(main())
    assert peak == 3
    assert lim.inflight == 0


# --- lockstep table walks --------------------------------------------------------------------------------

COL_A = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
COL_B = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)
COL_C = (1, 3, 6, 1, 2, 1, 2, 2, 1, 5)


def test_walk_table_reads_whole_rows_per_request_with_sparse_columns() -> None:
    mib: dict[Oid, Any] = {(*COL_A, i): f"if{i}".encode() for i in range(1, 101)}
    mib.update({(*COL_B, i): 6 for i in range(1, 101, 2)})  # sparse column: half the rows
    mib.update({(*COL_C, i): 10**9 for i in range(1, 101)})
    mib[(1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 192, 0, 2, 1)] = b"\xc0\x00\x02\x01"  # what follows the table
    agent = TableAgent(mib)
    a, b, c = asyncio.run(agent.walk_table([COL_A, COL_B, COL_C]))
    assert [o[-1] for o, _ in a.rows] == list(range(1, 101))
    assert [o[-1] for o, _ in b.rows] == list(range(1, 101, 2))
    assert len(c.rows) == 100
    assert (a.note, b.note, c.note) == ("", "", "")
    # Every request carries every unfinished column; slow start: FIRST_ROWS rows, then doubling.
    assert agent.requests[0] == (3, FIRST_ROWS)
    assert agent.requests[1] == (3, min(2 * FIRST_ROWS, 48 // 3))
    assert all(n * reps <= 48 for n, reps in agent.requests)
    # Far fewer round trips than one column at a time (3 columns x 100 rows / 25 = 12+).
    assert len(agent.requests) <= 8


def test_walk_table_of_a_short_table_asks_little() -> None:
    mib: dict[Oid, Any] = {(*COL_A, i): b"x" for i in range(1, 4)} | {(*COL_B, i): 1 for i in range(1, 4)}
    agent = TableAgent(mib)
    a, b = asyncio.run(agent.walk_table([COL_A, COL_B]))
    assert (len(a.rows), len(b.rows)) == (3, 3)
    assert agent.requests == [(2, FIRST_ROWS)]


def test_walk_table_cuts_each_column_at_max_rows() -> None:
    mib: dict[Oid, Any] = {(*COL_A, i): b"x" for i in range(1, 500)} | {(*COL_B, i): 1 for i in range(1, 500)}
    agent = TableAgent(mib, max_rows=30)
    a, b = asyncio.run(agent.walk_table([COL_A, COL_B]))
    assert (len(a.rows), len(b.rows)) == (30, 30)
    assert "cut at 30 rows" in a.note


class _FakeValue:
    def __init__(self, v: int) -> None:
        self.v = v


class _ScriptedSession(Session):
    """Session whose GETBULK answers come from a script instead of the network."""

    def __init__(self, answers: list[list[tuple[tuple[int, ...], Any]]], *, max_rows: int = 1000) -> None:
        self.answers = answers
        self.max_rows = max_rows
        self.varbinds = 0
        self.cred = Credential("v2c community #1", "2c", community="x")
        self.bulk_varbinds = 48
        self.calls = 0
        self.asked: list[tuple[list[tuple[int, ...]], int]] = []

    async def _get(self, oids: Any) -> list[tuple[tuple[int, ...], Any]]:
        raise AssertionError("these tests script GETBULK only")

    async def _bulk(self, oids: Any, reps: int) -> list[tuple[tuple[int, ...], Any]]:
        self.calls += 1
        self.asked.append((list(oids), reps))
        return self.answers.pop(0) if self.answers else []


ROOT = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)


def test_walk_stays_in_subtree() -> None:
    s = _ScriptedSession([[((*ROOT, 1), _FakeValue(1)), ((*ROOT, 2), _FakeValue(2)),
                           ((1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1), _FakeValue(3))]])
    res = asyncio.run(s.walk(ROOT))
    assert [o for o, _ in res.rows] == [(*ROOT, 1), (*ROOT, 2)]
    assert res.note == ""


def test_walk_stops_on_non_increasing_oids() -> None:
    looping = [((*ROOT, 1), _FakeValue(1)), ((*ROOT, 2), _FakeValue(2))]
    s = _ScriptedSession([looping, [((*ROOT, 2), _FakeValue(2)), ((*ROOT, 1), _FakeValue(1))]] * 50)
    res = asyncio.run(s.walk(ROOT))
    assert len(res.rows) == 2
    assert "non-increasing" in res.note
    assert s.calls == 2


def test_walk_cuts_endless_tables() -> None:
    endless = [[((*ROOT, i * 10 + j), _FakeValue(0)) for j in range(1, 11)] for i in range(100)]
    s = _ScriptedSession(endless, max_rows=55)
    res = asyncio.run(s.walk(ROOT))
    assert len(res.rows) == 55
    assert "cut at 55 rows" in res.note


# --- the census: one GETNEXT of many prefixes ----------------------------------------------------------

class _SmallBuffer(TableAgent):
    """An agent whose responses hold at most `room` varbinds: past that, a GETBULK is cut short (RFC 3416
    §4.2.3), answered with none (`empty`, as net-snmp past its maxGetbulkResponses) or tooBig (`too_big`)."""

    def __init__(self, mib: dict[Oid, Any], room: int, *, too_big: bool = False, empty: bool = False) -> None:
        super().__init__(mib)
        self.room, self.too_big, self.empty = room, too_big, empty

    async def _bulk(self, oids: Any, reps: int) -> list[tuple[Oid, Any]]:
        if len(oids) > self.room and (self.too_big or self.empty):
            self.bulks.append((tuple(oids), reps))
            if self.empty:
                return []
            raise SnmpTooBig("error-status tooBig")
        return (await super()._bulk(oids, reps))[:self.room]

    async def _get(self, oids: Any) -> list[tuple[Oid, Any]]:
        if len(oids) > self.room:  # a GET is never cut short: tooBig (RFC 3416 4.2.1)
            raise SnmpTooBig("error-status tooBig")
        return await super()._get(oids)


def test_census_asks_again_for_what_did_not_fit() -> None:
    # Twelve tables with a row each, three without: every answer is read whatever the agent's buffer.
    mib: dict[Oid, Any] = {(1, 3, 6, 1, 2, 1, n, 1, 1): n for n in range(1, 13)}
    prefixes = [(1, 3, 6, 1, 2, 1, n, 1) for n in range(1, 16)]
    want = [*range(1, 13), None, None, None]
    assert asyncio.run(TableAgent(mib).first_values(prefixes)) == want
    cut = _SmallBuffer(mib, 4)
    assert asyncio.run(cut.first_values(prefixes)) == want
    assert [len(oids) for oids, _ in cut.bulks] == [15, 11, 7, 3]
    for refusing in (_SmallBuffer(mib, 4, too_big=True), _SmallBuffer(mib, 4, empty=True)):
        assert asyncio.run(refusing.first_values(prefixes)) == want
        answered = [oids for oids, _ in refusing.bulks if len(oids) <= 4]
        assert sorted(o for oids in answered for o in oids) == prefixes  # each prefix answered once


def test_a_get_too_big_for_the_agent_is_asked_in_halves() -> None:
    mib: dict[Oid, Any] = {(1, 3, 6, 1, 4, 1, 9, n, 0): f"value {n}".encode() for n in range(1, 11)}
    asked = [(1, 3, 6, 1, 4, 1, 9, n, 0) for n in range(1, 13)]
    agent = _SmallBuffer(mib, 3)
    assert asyncio.run(agent.get(asked)) == mib
    assert len(agent.gets) == 12  # every OID asked once, in GETs of at most three

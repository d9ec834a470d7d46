"""In-memory SNMP agents for tests: a Session answering from a recording, no socket, no packet sent."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from agent.scan.snmp import ber
from agent.scan.snmp.credentials import Credential
from agent.scan.snmp.session import Session

Oid = tuple[int, ...]


class TableAgent(Session):
    """An in-memory agent answering GET/GETBULK like RFC 3416 §4.2.3 over a sorted MIB (a recording),
    noting every OID asked."""

    def __init__(self, mib: dict[Oid, Any], *, max_rows: int = 10_000) -> None:
        super().__init__(Credential("v2c community #1", "2c", community="x"), max_rows=max_rows)
        self.mib, self.names = mib, sorted(mib)
        self.gets: list[Oid] = []
        self.bulks: list[tuple[tuple[Oid, ...], int]] = []

    @property
    def requests(self) -> list[tuple[int, int]]:
        """(varbinds asked, repetitions) per GETBULK."""
        return [(len(oids), reps) for oids, reps in self.bulks]

    def _after(self, oid: Oid) -> tuple[Oid, Any]:
        i = bisect.bisect_right(self.names, oid)
        return (self.names[i], self.mib[self.names[i]]) if i < len(self.names) else (oid, ber.END_OF_MIB_VIEW)

    async def _get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Any]]:
        self.gets += oids
        return [(o, self.mib.get(o, ber.NO_SUCH_OBJECT)) for o in oids]

    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        self.bulks.append((tuple(oids), reps))
        out: list[tuple[Oid, Any]] = []
        cursors = list(oids)
        for _ in range(reps):
            row = [self._after(c) for c in cursors]
            out += row
            cursors = [name for name, _ in row]
        return out

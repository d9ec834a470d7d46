"""Re-importing OSV feeds from a directory on a schedule (the collector's ``vulns_dir``).

Operators drop the archives they downloaded (``Debian/all.zip``, ``PyPI/all.zip``, or any file or
directory ``netcensus vulns import`` takes) into one directory; each entry at its top level is one
source, named as the import names it (:func:`collector.vulns.importing.default_source`). An entry is
imported when it is new or changed (size or modification time of any file under it), so a quiet
directory costs a listing per interval. A failed import is logged and retried at the next round;
the previous import of that source stays in force.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from collector.errors import NetcensusError
from collector.escaping import escape_text
from collector.vulns.importing import ImportOutcome, VulnWriter, default_source, import_feed

__all__ = ["FeedDirectory", "reimport_loop"]

log = logging.getLogger("netcensus.vulns")


def _fingerprint(entry: Path) -> tuple[tuple[str, int, int], ...]:
    files = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
    out = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        out.append((f.as_posix(), st.st_size, st.st_mtime_ns))
    return tuple(out)


class FeedDirectory:
    """One directory of feeds and what was last imported from each entry."""

    def __init__(self, writer: VulnWriter, directory: Path, clock: Callable[[], datetime]) -> None:
        self._writer = writer
        self._directory = directory
        self._clock = clock
        self._seen: dict[str, tuple[tuple[str, int, int], ...]] = {}

    def run_once(self) -> list[ImportOutcome]:
        """Import every new or changed entry; problems are logged, one line each."""
        try:
            entries = sorted(p for p in self._directory.iterdir()
                             if p.is_dir() or p.suffix.lower() in (".zip", ".json"))
        except OSError as exc:
            log.error("vulns_dir %s: cannot list: %s", self._directory, exc.strerror or exc)
            return []
        done = []
        for entry in entries:
            stamp = _fingerprint(entry)
            if not stamp or self._seen.get(entry.name) == stamp:
                continue
            try:
                outcome = import_feed(self._writer, entry, source=default_source(entry), now=self._clock())
            except NetcensusError as exc:
                log.error("vulns_dir: %s", escape_text(str(exc)))
                continue
            self._seen[entry.name] = stamp
            for problem in outcome.problems[:20]:
                log.warning("vulns_dir: %s", escape_text(str(problem)))
            log.info("vulns_dir: imported %d advisories as source %s (%d rejected)", outcome.records,
                     escape_text(outcome.source), len(outcome.problems))
            done.append(outcome)
        return done


async def reimport_loop(feeds: FeedDirectory, interval: timedelta,
                        imported: Callable[[], object] | None = None) -> None:
    """Import at once, then every ``interval`` (0: once only), off the event loop; ``imported`` is
    called after a round that imported something (the collector's live findings are judged again)."""
    while True:
        done = await asyncio.to_thread(feeds.run_once)
        if done and imported is not None:
            imported()
        if interval.total_seconds() <= 0:
            return
        await asyncio.sleep(interval.total_seconds())

"""What the views read from: the store, a recent refresh, the clock and the ghost window.

The asset page and the changes view are built by collector/inventory/detail.py and changes.py, which
take a refresh's Snapshot. A refresh resolves every sighting, so the dashboard shares one: it is kept
for `max_age` and rebuilt by the first request after that, while other requests wait for it rather
than start their own (one refresh at a time whatever the number of browsers polling).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collector.inventory.identity import ResolvedAsset, SubjectFacts
from collector.inventory.refresh import Snapshot, one_asset
from collector.serve.web.actions import AdminActions
from collector.store.duckdb import Store

log = logging.getLogger("netcensus.web")


class SnapshotCache:
    """The latest refresh; when older than `max_age` seconds it is rebuilt in the background.

    Only the first request waits for a refresh. After that a page is served from the snapshot in hand
    while at most one rebuild runs on a thread of its own (stale-while-revalidate): at 100,000
    machines a full refresh takes tens of seconds, which no page may wait for. `max_age` 0 rebuilds
    before every request, in the caller's thread (tests).
    """

    def __init__(self, build: Callable[[], Snapshot], max_age: float, clock: Callable[[], float] = time.monotonic,
                 cut: Callable[[str], Snapshot | None] | None = None):
        self._build = build
        self._cut = cut
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._built_at = 0.0
        self._rebuilding = False
        self._by_id: dict[str, ResolvedAsset] | None = None  # of the snapshot held
        self._facts: dict[str, list[SubjectFacts]] = {}       # subject -> its facts, likewise

    def __call__(self) -> Snapshot:
        with self._lock:
            current = self._snapshot
            stale = current is None or self._clock() - self._built_at >= self._max_age
            if current is not None and stale and self._max_age > 0:
                if not self._rebuilding:
                    self._rebuilding = True
                    threading.Thread(target=self._rebuild, name="web-snapshot", daemon=True).start()
                return current
            if current is not None and not stale:
                return current
            built = self._build()  # the first request (or max_age 0): wait for it
            self._keep(built)
            return built

    def invalidate(self) -> None:
        """Forget the snapshot in hand: the next request waits for a fresh one. After an admin's merge or
        split, the page it leads to must show the new assets, not the minute-old ones."""
        with self._lock:
            self._snapshot = None
            self._by_id = None

    def _keep(self, built: Snapshot) -> None:
        self._snapshot = built
        self._built_at = self._clock()
        self._by_id = None

    def _rebuild(self) -> None:
        try:
            built = self._build()
        except Exception:  # a failed refresh keeps the snapshot in hand; the next stale request retries
            log.exception("dashboard snapshot refresh failed")
            with self._lock:
                self._rebuilding = False
            return
        with self._lock:
            self._keep(built)
            self._rebuilding = False

    def for_asset(self, ref: str) -> Snapshot:
        """The snapshot cut down to the asset whose id is `ref` (the whole one for any other REF); with a
        live state (`cut`, the collector's), its latest update's cut instead, seconds old at most.

        Why: the asset page's builder (collector/inventory/detail.py) finds its asset by scanning every
        asset and every subject's facts — 0.3 s at 100,000 machines. The dashboard links assets by id,
        so it hands the builder a snapshot holding just that asset, its subjects' facts, its record and
        the decisions and duplicates that name it: the same page, without the scan.
        """
        if self._cut is not None and (live := self._cut(ref.strip().lower())) is not None:
            return live
        snapshot = self()
        with self._lock:
            if self._by_id is None:
                self._by_id = {a.asset_id: a for a in snapshot.assets}
                self._facts = {}
                for f in snapshot.facts:
                    self._facts.setdefault(f.subject, []).append(f)
            asset = self._by_id.get(ref.strip().lower())
            facts = [f for subject in asset.members for f in self._facts.get(subject, ())] if asset else []
        if asset is None:
            return snapshot
        return one_asset(asset, facts, snapshot.records.get(asset.asset_id), snapshot.keys.get(asset.asset_id),
                         snapshot.duplicates, snapshot.decisions)


@dataclass
class WebContext:
    """Everything a view may use.

    Args:
        store: the database (read-only for `netcensus ui`).
        snapshot: the latest refresh.
        clock: now (UTC).
        ghost_after: the ghost window coverage is measured against.
        read_only: shown in the header ("read-only copy") when the dashboard serves a file.
        poll_seconds: how often an open page asks whether there is fresh content (`generation`).
        generation: a counter that moves whenever what the pages show may have changed (the collector's
            live state: every update and full refresh); an open page asks for it, which reads nothing
            and writes no audit row, and fetches its content again only when it moved. Constant for a
            file nobody writes to.
        actions: what an admin may change (collector/serve/web/actions.py); None on a read-only copy.
    """

    store: Store
    snapshot: SnapshotCache
    clock: Callable[[], datetime]
    ghost_after: timedelta
    read_only: bool = False
    poll_seconds: int = 1
    generation: Callable[[], int] = lambda: 0
    actions: AdminActions | None = None
    extra: dict[str, object] = field(default_factory=dict)

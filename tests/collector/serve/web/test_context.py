"""The dashboard's shared refresh: only the first request waits; a stale one is rebuilt in the background."""

from __future__ import annotations

import threading
from typing import Any

from collector.inventory.refresh import Snapshot
from collector.serve.web.context import SnapshotCache


def _snapshot(tag: str) -> Snapshot:
    return Snapshot(assets=[], findings=[], records={}, keys={"tag": tag})


def test_stale_snapshots_are_served_while_one_rebuild_runs() -> None:
    now = [0.0]
    built: list[str] = []
    release = threading.Event()
    done = threading.Event()

    def build() -> Snapshot:
        if built:  # every rebuild after the first waits until the test lets it finish
            release.wait(30)
        built.append(f"s{len(built)}")
        if len(built) > 1:
            done.set()
        return _snapshot(built[-1])

    cache = SnapshotCache(build, max_age=10, clock=lambda: now[0])
    assert cache().keys["tag"] == "s0"
    now[0] = 5
    assert cache().keys["tag"] == "s0" and built == ["s0"]  # fresh: no rebuild
    now[0] = 11
    assert cache().keys["tag"] == "s0"  # stale: served as it is, a rebuild started
    assert cache().keys["tag"] == "s0"  # ... and only one
    release.set()
    assert done.wait(30)
    for _ in range(1000):  # the rebuild keeps its result under the lock after returning it
        if cache().keys["tag"] == "s1":
            break
        threading.Event().wait(0.01)
    assert cache().keys["tag"] == "s1" and built == ["s0", "s1"]


def test_max_age_zero_rebuilds_before_every_request() -> None:
    count: list[Any] = []
    cache = SnapshotCache(lambda: (count.append(1), _snapshot(str(len(count))))[1], max_age=0)
    assert [cache().keys["tag"] for _ in range(3)] == ["1", "2", "3"]

"""The dashboard's summary reads (collector/store/live_reads.py, migration 012) on a real DuckDB file.

Findings are made by real refreshes over sightings written into the store, at injected times, so
every count below is a lifecycle event the test caused.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from collector.domain.model import RecordedAsset, StatusClass
from collector.inventory.refresh import refresh
from collector.store.duckdb import Store

T = datetime(2026, 11, 2, 9, tzinfo=UTC)
DAY = timedelta(days=1)
WINDOW = timedelta(days=14)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "x.duckdb")
    yield s
    s.close()


def arp(store: Store, mac: str, ip: str, at: datetime) -> None:
    row: dict[str, Any] = {"report_id": f"r-{mac}-{at.timestamp()}", "source_id": "scanner-1", "method": "arp",
                           "seen_at": at, "subject": f"mac:{mac}", "macs": [mac], "ips": [ip], "networks": []}
    store.write([("INSERT INTO sightings BY NAME SELECT * FROM s", [])], tables={"s": pa.Table.from_pylist([row])})


def sweep(store: Store, net: str, at: datetime) -> None:
    store.write([("INSERT INTO scan_runs VALUES (?, ?, 'scanner-1', [?], ['arp'], ?, ?, true)",
                  [f"r-{at.timestamp()}", f"s-{at.timestamp()}", net, at, at])])


def test_finding_days_counts_each_opening_and_resolution_on_its_day(store: Store) -> None:
    arp(store, "00:1b:21:00:00:01", "192.0.2.1", T - timedelta(hours=1))
    refresh(store, now=T, ghost_after=WINDOW)                     # day 1: a zombie opens
    refresh(store, now=T + DAY, ghost_after=WINDOW)               # still open: counted once
    refresh(store, now=T + 20 * DAY, ghost_after=WINDOW)          # unseen past the window: resolved
    arp(store, "00:1b:21:00:00:01", "192.0.2.1", T + 25 * DAY)
    refresh(store, now=T + 25 * DAY + timedelta(hours=1), ghost_after=WINDOW)  # reopened
    days = {(d.day, d.kind): (d.opened, d.resolved) for d in store.finding_days(date(2026, 1, 1))}
    assert days == {(T.date(), "zombie"): (1, 0), ((T + 20 * DAY).date(), "zombie"): (0, 1),
                    ((T + 25 * DAY).date(), "zombie"): (1, 0)}
    assert store.finding_days((T + 21 * DAY).date())[0].day == (T + 25 * DAY).date()


def test_finding_counts_compare_now_with_a_day_before(store: Store) -> None:
    arp(store, "00:1b:21:00:00:01", "192.0.2.1", T - timedelta(hours=1))
    refresh(store, now=T, ghost_after=WINDOW)
    arp(store, "00:1b:21:00:00:02", "192.0.2.2", T + DAY)
    refresh(store, now=T + DAY + timedelta(hours=1), ghost_after=WINDOW)
    (zombies,) = store.finding_counts(T + DAY + timedelta(hours=2))
    assert (zombies.kind, zombies.open_now, zombies.open_day_before, zombies.suppressed_now) == ("zombie", 2, 1, 0)


def test_coverage_by_subnet_and_site(store: Store) -> None:
    records = [
        RecordedAsset(record_key="A", line=2, asset_tag="A", macs=("00:1b:21:00:00:01",), ips=("192.0.2.1",),
                      location="HQ", status="Deployed", status_class=StatusClass.IN_USE),
        RecordedAsset(record_key="B", line=3, asset_tag="B", macs=("00:1b:21:00:00:02",), ips=("192.0.2.2",),
                      location="HQ", status="Deployed", status_class=StatusClass.IN_USE),
        RecordedAsset(record_key="C", line=4, asset_tag="C", macs=("00:1b:21:00:00:03",), ips=("198.51.100.3",),
                      location="Lab", status="Deployed", status_class=StatusClass.IN_USE),
        RecordedAsset(record_key="D", line=5, asset_tag="D", ips=("2001:db8:1:2::9",), location="Lab",
                      status="Deployed", status_class=StatusClass.IN_USE),
        RecordedAsset(record_key="E", line=6, asset_tag="E", ips=("192.0.2.9",), status="Archived",
                      status_class=StatusClass.RETIRED),   # not expected on the network: not coverage
    ]
    store.replace_register("snipeit", records, import_id="i1", filename="r.csv", fmt="snipeit", sha256="x", now=T)
    arp(store, "00:1b:21:00:00:01", "192.0.2.1", T - timedelta(hours=1))
    arp(store, "00:1b:21:00:00:03", "198.51.100.3", T - 30 * DAY)   # seen, but before the window
    sweep(store, "192.0.2.0/24", T)
    refresh(store, now=T, ghost_after=WINDOW)
    by_subnet = {c.subnet: (c.recorded, c.seen, c.site) for c in store.coverage_by_subnet(T, WINDOW)}
    assert by_subnet == {"192.0.2.0/24": (2, 1, "HQ"), "198.51.100.0/24": (1, 0, "Lab"),
                         "2001:db8:1:2::/64": (1, 0, "Lab")}
    by_site = {c.site: (c.recorded, c.seen) for c in store.coverage_by_subnet(T, WINDOW, by="site")}
    assert by_site == {"HQ": (2, 1), "Lab": (2, 0)}
    wider = {c.site: (c.recorded, c.seen) for c in store.coverage_by_subnet(T, 40 * DAY, by="site")}
    assert wider == {"HQ": (2, 1), "Lab": (2, 1)}  # a wider window counts the lab machine seen 30 days ago


def test_the_timeline_counts_an_event_on_its_own_utc_day_at_any_hour(store: Store) -> None:
    """An afternoon event is that day's, not the next (epoch() is a DOUBLE whose rounding moved it)."""
    from collector.store import dashboard

    day = date(2026, 12, 3)
    times = [datetime(2026, 12, 3, 0, 0, tzinfo=UTC), datetime(2026, 12, 3, 12, 5, 10, tzinfo=UTC),
             datetime(2026, 12, 3, 23, 59, 59, 900000, tzinfo=UTC)]
    store.write([("INSERT INTO finding_events (finding_id, happened_at, event, kind, severity) "
                  "VALUES (?, ?, 'opened', 'zombie', 'medium')", [f"f-{i}", t]) for i, t in enumerate(times)])
    rows = dashboard.timeline(store, datetime(2026, 12, 1, tzinfo=UTC))
    assert [(r["day"], r["kind"], r["opened"]) for r in rows] == [(day, "zombie", 3)]

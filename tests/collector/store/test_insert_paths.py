"""The store's two ways of inserting a round's software rows must store the same thing.

When nothing in a round is unchanged and no open row stays open (a fresh host, or a snapshot that
replaces every package), the store inserts every listed row without the joins that find which are
new (collector/store/reports.py, _ROUND_INSERT_ALL). Hypothesis drives random batches of
snapshots — fresh hosts, full replacement, partial overlap, unchanged lists, duplicates, failed
collectors, several sources — into two real DuckDB files, one allowed the shortcut and one not,
and the whole software history must come out the same.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netcensus.v1 import report_pb2

from collector.errors import StoreError
from collector.store import reports as store_module
from collector.store.duckdb import Store
from collector.wire.codec import decode_report

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOSTS = [f"0f1e2d3c-0000-4000-8000-00000000000{n}" for n in range(3)]
PACKAGES = [(f"pkg{n}", f"1.{v}") for n in range(6) for v in range(2)]
SOURCES = ("deb", "pip")

# One snapshot: which host, which (package, source) rows it lists (possibly twice), which sources failed.
snapshots = st.tuples(
    st.sampled_from(HOSTS),
    st.lists(st.tuples(st.sampled_from(PACKAGES), st.sampled_from(SOURCES)), max_size=8),
    st.sets(st.sampled_from(SOURCES), max_size=1),
)
batches = st.lists(st.lists(snapshots, min_size=1, max_size=4), min_size=1, max_size=4)


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "shortcut.duckdb", tmp_path / "joins.duckdb"


def _snapshot(host: str, seq: int, at: datetime, rows: list[tuple[tuple[str, str], str]],
              failed: set[str]) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=host, seq=seq, software_version="test")
    r.created_at.FromDatetime(at)
    snap = r.host_snapshot
    snap.facts.hostname = f"pc-{host[-1]}"
    for (name, version), source in rows:
        snap.software.add(name=name, version=version, arch="amd64", source=source)
    for source in SOURCES:
        failing = source in failed
        snap.collectors.add(name=source, reason="boom" if failing else "",
                            state=report_pb2.COLLECTOR_STATE_FAILED if failing else report_pb2.COLLECTOR_STATE_OK)
    return r


def _history(path: Path, batches_of_reports: list[list[report_pb2.Report]], *, shortcut: bool) -> list[tuple]:
    saved = store_module._ROUND_INSERT_ALL
    if not shortcut:
        store_module._ROUND_INSERT_ALL = store_module._ROUND_INSERT
    try:
        store = Store.open(path)
        try:
            for k, reports in enumerate(batches_of_reports):
                now = T0 + timedelta(minutes=10 * (k + 1))
                store.store_reports([decode_report(r, now) for r in reports], now)
            rows = store.query(
                "SELECT subject, name, version, arch, pkg_source, first_seen, removed_at, first_report_id, "
                "removed_report_id FROM software_installs ORDER BY ALL")
            state = store.query("SELECT subject, pkg_source, checksum FROM inventory_state ORDER BY ALL")
        finally:
            store.close()
    finally:
        store_module._ROUND_INSERT_ALL = saved
    return [tuple(r.values()) for r in rows] + [tuple(r.values()) for r in state]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=batches)
def test_shortcut_insert_stores_what_the_joined_insert_stores(stores: tuple[Path, Path],
                                                              plan: list[list[tuple]]) -> None:
    seq = dict.fromkeys(HOSTS, 0)
    reports: list[list[report_pb2.Report]] = []
    for k, batch in enumerate(plan):
        built = []
        for n, (host, rows, failed) in enumerate(batch):
            seq[host] += 1
            built.append(_snapshot(host, seq[host], T0 + timedelta(minutes=10 * k, seconds=n), rows, failed))
        reports.append(built)
    fast_path, joined_path = stores
    for path in stores:
        path.unlink(missing_ok=True)
    assert _history(fast_path, reports, shortcut=True) == _history(joined_path, reports, shortcut=False)


def test_shortcut_is_taken_for_fresh_hosts_and_full_replacement_only(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The differential test above only means something if the shortcut runs: make it fail loudly."""
    host = HOSTS[0]
    store = Store.open(tmp_path / "nc.duckdb")
    try:
        def store_one(seq: int, rows: list[tuple[tuple[str, str], str]]) -> None:
            now = T0 + timedelta(minutes=seq)
            store.store_reports([decode_report(_snapshot(host, seq, now - timedelta(seconds=1), rows, set()), now)],
                                now)

        def shortcut_taken(seq: int, rows: list[tuple[tuple[str, str], str]]) -> bool:
            """Store with the shortcut broken: True if it ran (the batch then fails and is rolled back);
            False if not (the report is then stored)."""
            with monkeypatch.context() as patched:
                patched.setattr(store_module, "_ROUND_INSERT_ALL", "SELECT shortcut_taken {rows}")
                try:
                    store_one(seq, rows)
                except StoreError:  # the unknown column, or the aborted transaction after it
                    return True
            return False

        deb = [(PACKAGES[n], "deb") for n in range(0, 12, 2)]
        pip = [(PACKAGES[1], "pip")]
        assert shortcut_taken(1, deb[:2])  # a fresh host
        store_one(1, deb[:2])
        assert not shortcut_taken(2, [deb[0], deb[2]])  # one row stays open
        assert shortcut_taken(3, [deb[3]])  # every package replaced; pip complete, empty and unchanged
        store_one(3, [deb[3], *pip])
        assert not shortcut_taken(4, [deb[4], *pip])  # deb replaced, but pip lists its unchanged row
        assert shortcut_taken(5, [deb[5], (PACKAGES[3], "pip")])  # both replaced
    finally:
        store.close()

"""Software lists crossing from a front-end process to the writer (`serve --workers`) as PackedColumns.

A decoded list (SoftwareColumns) pickles as PackedColumns: byte blocks instead of one object per
value. What comes out must be the same rows, and the store must write the same history from it
as from the original — checked with random text (non-ASCII, empty, whitespace inside) and with
real reports through a real DuckDB file.
"""

from __future__ import annotations

import pickle
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from netcensus.v1 import report_pb2

from collector.domain.model import PackedColumns, SoftwareColumns
from collector.store.duckdb import Store
from collector.wire.codec import decode_report
from collector.wire.packed import columns_to_arrow, packed_to_arrow

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@st.composite
def software_columns(draw: st.DrawFn) -> SoftwareColumns:
    n = draw(st.integers(0, 20))
    column = st.lists(text, min_size=n, max_size=n).map(tuple)
    times = st.lists(st.one_of(st.none(), st.integers(946_684_800_000_000, 1_800_000_000_000_000)),
                     min_size=n, max_size=n).map(tuple)
    return SoftwareColumns(name=draw(column), version=draw(column), arch=draw(column), pkg_source=draw(column),
                           vendor=draw(column), source_package=draw(column), purl=draw(column),
                           installed_at=draw(times))


@settings(max_examples=200, deadline=None)
@given(lists=st.lists(software_columns(), min_size=1, max_size=4))
def test_pickled_columns_arrive_as_the_same_rows(lists: list[SoftwareColumns]) -> None:
    arrived = [pickle.loads(pickle.dumps(columns)) for columns in lists]
    assert all(isinstance(a, PackedColumns) for a in arrived)
    for original, packed in zip(lists, arrived, strict=True):
        assert len(packed) == len(original)
        assert packed.columns() == original
    # The writer's path: the whole round at once, as Arrow; same table as from the tuples.
    expected = columns_to_arrow(SoftwareColumns.concat(lists))
    assert packed_to_arrow(arrived).equals(expected)


def _snapshot(host: str, seq: int, packages: list[tuple[str, str]]) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=host, seq=seq, software_version="test")
    r.created_at.FromDatetime(T0 + timedelta(minutes=seq))
    snap = r.host_snapshot
    snap.facts.hostname = f"pc-{host[-4:]}"
    for name, version in packages:
        snap.software.add(name=name, version=version, arch="amd64", source="deb", vendor="Dëbian ")
    snap.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK)
    return r


def _history(path: Path, batches: list[list[report_pb2.Report]], *, across_processes: bool) -> list[tuple]:
    store = Store.open(path)
    try:
        for k, batch in enumerate(batches):
            now = T0 + timedelta(hours=k + 1)
            decoded = [decode_report(r, now) for r in batch]
            if across_processes:  # what a front-end sends and the writer receives
                decoded = pickle.loads(pickle.dumps(decoded))
            store.store_reports(decoded, now)
        rows = store.query("SELECT * EXCLUDE (first_report_id, removed_report_id) FROM software_installs "
                           "ORDER BY ALL")
    finally:
        store.close()
    return [tuple(r.values()) for r in rows]


def test_the_store_writes_the_same_history_from_packed_columns(tmp_path: Path) -> None:
    hosts = [f"0f1e2d3c-0000-4000-8000-00000000{n:04d}" for n in range(5)]
    batches = [
        [_snapshot(h, 1, [(f"pkg{j}", "1.0") for j in range(n + 3)]) for n, h in enumerate(hosts)],
        [_snapshot(h, 2, [(f"pkg{j}", "1.0" if j % 2 else "2.0") for j in range(n + 2)] + [("ünïcode", "1")])
         for n, h in enumerate(hosts)],
        [_snapshot(h, 3, [("other", "9")]) for h in hosts],
    ]
    # Same report ids in both stores: the history is compared without them anyway.
    assert _history(tmp_path / "a.duckdb", batches, across_processes=True) == \
        _history(tmp_path / "b.duckdb", batches, across_processes=False)

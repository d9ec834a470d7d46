"""Delta reports on the collector (issue 6, item 6) and the snapshot diff, against a real DuckDB file.

Reports are built as protobuf messages and go through the real codec (decode_report) into
Store.store_reports, the function the ingest writer calls, so what is tested is what is served.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netcensus.v1 import report_pb2

from collector.domain.model import StoreResult
from collector.store.duckdb import UNKNOWN_BASE, Store
from collector.wire.codec import decode_report

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SOURCE = "0f1e2d3c-0000-4000-8000-000000000001"
SUBJECT = f"agent:{SOURCE}"
Item = tuple[str, str, str]  # (name, version, source); arch is always amd64 here


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "nc.duckdb")
    yield s
    s.close()


def checksum(items: Sequence[Item], sources: Sequence[str]) -> str:
    """The agent's checksum (agent/transport/delta.py), written out independently."""
    lines = sorted(f"{src}\t{name}\tamd64\t{version}" for name, version, src in items if src in sources)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _report(seq: int, at: datetime) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=SOURCE, seq=seq, software_version="test")
    r.created_at.FromDatetime(at)
    return r


def _add(target, items: Sequence[Item]) -> None:  # type: ignore[no-untyped-def]
    for name, version, src in items:
        target.add(name=name, version=version, arch="amd64", source=src)


def _collectors(target, states: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    for name, state in states.items():
        target.add(name=name, state=state, reason="" if state == report_pb2.COLLECTOR_STATE_OK else "boom")


OK, FAILED = report_pb2.COLLECTOR_STATE_OK, report_pb2.COLLECTOR_STATE_FAILED


def snapshot(seq: int, at: datetime, items: Sequence[Item], states: dict[str, int] | None = None) -> report_pb2.Report:
    states = states or {"deb": OK}
    r = _report(seq, at)
    snap = r.host_snapshot
    snap.facts.hostname = "pc-1"
    _add(snap.software, items)
    _collectors(snap.collectors, states)
    snap.software_checksum = checksum(items, [s for s, v in states.items() if v == OK])
    return r


def delta(seq: int, at: datetime, base: str, *, added: Sequence[Item] = (), removed: Sequence[Item] = (),
          changed: Sequence[Item] = (), after: Sequence[Item] = (), states: dict[str, int] | None = None,
          check: str | None = None) -> report_pb2.Report:
    """A delta on `base`; `after` is the agent's full list after it (for the checksum)."""
    states = states or {"deb": OK}
    r = _report(seq, at)
    d = r.host_delta
    d.base_report_id = base
    d.facts.hostname = "pc-1"
    _add(d.added, added)
    _add(d.removed, removed)
    _add(d.changed, changed)
    _collectors(d.collectors, states)
    d.software_checksum = check if check is not None else checksum(after, [s for s, v in states.items() if v == OK])
    return r


def store_all(store: Store, *reports: report_pb2.Report) -> StoreResult:
    now = max(r.created_at.ToDatetime(tzinfo=UTC) for r in reports) + timedelta(minutes=1)
    return store.store_reports([decode_report(r, now) for r in reports], now)


def clean(result: StoreResult) -> bool:
    """Every report stored, none refused, duplicated or asked to send a snapshot."""
    return bool(result.stored) and not (result.duplicates or result.rejected or result.need_full_snapshot)


def history(store: Store) -> list[tuple[str, str, datetime, datetime | None]]:
    rows = store.query("SELECT name, version, first_seen, removed_at FROM software_history "
                       "WHERE subject = ? ORDER BY name, version, first_seen", [SUBJECT])
    return [(r["name"], r["version"], r["first_seen"], r["removed_at"]) for r in rows]


def current(store: Store) -> set[tuple[str, str]]:
    return {(r["name"], r["version"]) for r in store.query("SELECT name, version FROM software WHERE subject = ?",
                                                            [SUBJECT])}


BASE: list[Item] = [("bash", "5.2", "deb"), ("curl", "7.88", "deb"), ("vim", "9.0", "deb")]


def test_delta_applies_added_removed_and_changed_with_history(store: Store) -> None:
    t1, t2 = T0, T0 + timedelta(hours=1)
    snap = snapshot(1, t1, BASE)
    assert clean(store_all(store, snap))
    after = [("bash", "5.2", "deb"), ("curl", "8.0", "deb"), ("zsh", "5.9", "deb")]
    d = delta(2, t2, snap.report_id, added=[("zsh", "5.9", "deb")], removed=[("vim", "9.0", "deb")],
              changed=[("curl", "8.0", "deb")], after=after)
    result = store_all(store, d)
    assert clean(result)
    assert current(store) == {("bash", "5.2"), ("curl", "8.0"), ("zsh", "5.9")}
    assert history(store) == [
        ("bash", "5.2", t1, None),
        ("curl", "7.88", t1, t2),      # the old version closed at the delta
        ("curl", "8.0", t2, None),     # the new one installed at the delta
        ("vim", "9.0", t1, t2),        # removed at the delta
        ("zsh", "5.9", t2, None),      # installed at the delta
    ]
    removed_by = store.query("SELECT DISTINCT removed_report_id FROM software_installs WHERE removed_at IS NOT NULL")
    assert [r["removed_report_id"] for r in removed_by] == [d.report_id]
    state = store.query("SELECT last_host_report_id FROM host_state WHERE subject = ?", [SUBJECT])
    assert state == [{"last_host_report_id": d.report_id}]


def test_delta_on_unknown_base_is_rejected_not_stored_and_asks_for_a_snapshot(store: Store) -> None:
    snap = snapshot(1, T0, BASE)
    store_all(store, snap)
    before = history(store)
    d = delta(2, T0 + timedelta(hours=1), str(uuid.uuid4()), removed=[("vim", "9.0", "deb")], after=BASE[:2])
    result = store_all(store, d)
    assert result.rejected == {d.report_id: UNKNOWN_BASE}
    assert UNKNOWN_BASE == "unknown base; send a full snapshot"
    assert result.need_full_snapshot == {d.report_id}
    assert history(store) == before
    assert store.query("SELECT count(*) AS n FROM reports WHERE report_id = ?", [d.report_id]) == [{"n": 0}]
    assert store.query("SELECT count(*) AS n FROM sightings WHERE report_id = ?", [d.report_id]) == [{"n": 0}]
    # A delta from a source that never sent a snapshot has no base at all.
    other = delta(3, T0 + timedelta(hours=2), "", added=[("x", "1", "deb")], after=[("x", "1", "deb")])
    assert store_all(store, other).rejected == {other.report_id: UNKNOWN_BASE}


def test_delta_must_follow_the_last_host_report_and_a_snapshot_resets_the_base(store: Store) -> None:
    s1 = snapshot(1, T0, BASE)
    store_all(store, s1)
    d1 = delta(2, T0 + timedelta(hours=1), s1.report_id, added=[("zsh", "5.9", "deb")],
               after=[*BASE, ("zsh", "5.9", "deb")])
    assert clean(store_all(store, d1))
    # a second delta on the snapshot (not on d1, the last applied) is refused
    stale = delta(3, T0 + timedelta(hours=2), s1.report_id, added=[("git", "2.39", "deb")],
                  after=[*BASE, ("git", "2.39", "deb")])
    assert store_all(store, stale).rejected == {stale.report_id: UNKNOWN_BASE}
    # a snapshot resets the base: a delta on d1 is now refused, one on the snapshot applies
    s2 = snapshot(4, T0 + timedelta(hours=3), BASE)
    assert clean(store_all(store, s2))
    late = delta(5, T0 + timedelta(hours=4), d1.report_id, added=[("git", "2.39", "deb")],
                 after=[*BASE, ("git", "2.39", "deb")])
    assert store_all(store, late).rejected == {late.report_id: UNKNOWN_BASE}
    ok = delta(6, T0 + timedelta(hours=4), s2.report_id, added=[("git", "2.39", "deb")],
               after=[*BASE, ("git", "2.39", "deb")])
    assert clean(store_all(store, ok))
    assert current(store) == {("bash", "5.2"), ("curl", "7.88"), ("vim", "9.0"), ("git", "2.39")}


def test_snapshot_and_deltas_in_one_batch_apply_in_order(store: Store) -> None:
    s1 = snapshot(1, T0, BASE)
    d1 = delta(2, T0 + timedelta(hours=1), s1.report_id, removed=[("vim", "9.0", "deb")], after=BASE[:2])
    d2 = delta(3, T0 + timedelta(hours=2), d1.report_id, changed=[("bash", "5.3", "deb")],
               after=[("bash", "5.3", "deb"), ("curl", "7.88", "deb")])
    assert clean(store_all(store, s1, d1, d2))
    assert current(store) == {("bash", "5.3"), ("curl", "7.88")}
    assert len(history(store)) == 4


def test_checksum_divergence_stores_the_delta_but_asks_for_a_snapshot(store: Store) -> None:
    snap = snapshot(1, T0, BASE)
    store_all(store, snap)
    # The agent believes it holds something else (here: an extra package we never heard of).
    d = delta(2, T0 + timedelta(hours=1), snap.report_id, added=[("zsh", "5.9", "deb")],
              after=[*BASE, ("zsh", "5.9", "deb"), ("ghost", "1.0", "deb")])
    result = store_all(store, d)
    assert result.rejected == {} and result.duplicates == frozenset()
    assert result.need_full_snapshot == {d.report_id}
    assert ("zsh", "5.9") in current(store)  # stored all the same
    # the full snapshot that follows repairs the state; deltas on it verify again
    s2 = snapshot(3, T0 + timedelta(hours=2), [*BASE, ("zsh", "5.9", "deb"), ("ghost", "1.0", "deb")])
    assert clean(store_all(store, s2))
    d2 = delta(4, T0 + timedelta(hours=3), s2.report_id, removed=[("ghost", "1.0", "deb")],
               after=[*BASE, ("zsh", "5.9", "deb")])
    assert clean(store_all(store, d2))


def test_checksum_covers_only_sources_complete_in_the_delta(store: Store) -> None:
    items = [*BASE, ("requests", "2.31", "pip")]
    snap = snapshot(1, T0, items, {"deb": OK, "pip": OK})
    store_all(store, snap)
    # pip failed this time: the checksum the agent sends covers deb only, and so does ours.
    d = delta(2, T0 + timedelta(hours=1), snap.report_id, added=[("zsh", "5.9", "deb")],
              after=[*BASE, ("zsh", "5.9", "deb")], states={"deb": OK, "pip": FAILED})
    assert clean(store_all(store, d))
    # a delta with no checksum at all cannot be verified: stored, and a snapshot is asked for
    d2 = delta(3, T0 + timedelta(hours=2), d.report_id, added=[("git", "2.39", "deb")], check="")
    assert store_all(store, d2).need_full_snapshot == {d2.report_id}


def test_resent_delta_is_a_duplicate(store: Store) -> None:
    snap = snapshot(1, T0, BASE)
    store_all(store, snap)
    d = delta(2, T0 + timedelta(hours=1), snap.report_id, removed=[("vim", "9.0", "deb")], after=BASE[:2])
    assert clean(store_all(store, d))
    again = store_all(store, d)
    assert again.duplicates == {d.report_id} and not again.rejected and not again.need_full_snapshot
    # twice in one batch: stored once, the copy is a duplicate
    d2 = delta(3, T0 + timedelta(hours=2), d.report_id, added=[("zsh", "5.9", "deb")],
               after=[*BASE[:2], ("zsh", "5.9", "deb")])
    twice = store_all(store, d2, d2)
    assert twice.duplicates == {d2.report_id} and not twice.rejected
    assert store.query("SELECT count(*) AS n FROM software_installs WHERE name = 'zsh'") == [{"n": 1}]
    assert store.query("SELECT count(*) AS n FROM reports") == [{"n": 3}]


def test_failed_collector_in_a_delta_closes_nothing(store: Store) -> None:
    items = [*BASE, ("requests", "2.31", "pip")]
    snap = snapshot(1, T0, items, {"deb": OK, "pip": OK})
    store_all(store, snap)
    t2 = T0 + timedelta(hours=1)
    d = delta(2, t2, snap.report_id, removed=[("vim", "9.0", "deb"), ("requests", "2.31", "pip")],
              changed=[("curl", "8.0", "deb")], added=[("zsh", "5.9", "deb")],
              after=[("bash", "5.2", "deb")], states={"deb": FAILED, "pip": OK})
    result = store_all(store, d)
    assert not result.rejected
    # deb failed: vim stays, curl 7.88 stays open beside the 8.0 the delta saw, zsh is recorded
    assert current(store) == {("bash", "5.2"), ("curl", "7.88"), ("curl", "8.0"), ("vim", "9.0"), ("zsh", "5.9")}
    # pip completed: its removal is applied
    assert store.query("SELECT removed_at FROM software_installs WHERE name = 'requests'") == [{"removed_at": t2}]
    assert result.need_full_snapshot == frozenset()  # pip (the only complete source) agrees: empty list


def test_unchanged_snapshot_changes_nothing_and_still_counts_as_seen(store: Store) -> None:
    s1 = snapshot(1, T0, BASE)
    store_all(store, s1)
    sql = "SELECT last_ok_at, last_report_id, checksum FROM inventory_state WHERE subject = ? AND pkg_source = 'deb'"
    fingerprint = store.query(sql, [SUBJECT])[0]["checksum"]
    s2 = snapshot(2, T0 + timedelta(days=1), list(reversed(BASE)))
    assert clean(store_all(store, s2))
    assert history(store) == [(n, v, T0, None) for n, v, _ in BASE]
    assert store.query(sql, [SUBJECT]) == [{"last_ok_at": T0 + timedelta(days=1), "last_report_id": s2.report_id,
                                            "checksum": fingerprint}]
    last_seen = store.query("SELECT DISTINCT last_seen FROM software WHERE subject = ?", [SUBJECT])
    assert last_seen == [{"last_seen": T0 + timedelta(days=1)}]


def test_rows_added_by_a_failed_run_are_closed_by_the_next_complete_snapshot(store: Store) -> None:
    """The checksum kept per source must follow every change, or an unchanged-looking snapshot
    would skip closing rows a partial run added."""
    store_all(store, snapshot(1, T0, BASE))
    partial = [("bash", "5.2", "deb"), ("stray", "1.0", "deb")]
    store_all(store, snapshot(2, T0 + timedelta(hours=1), partial, {"deb": FAILED}))
    assert ("stray", "1.0") in current(store)
    t3 = T0 + timedelta(hours=2)
    store_all(store, snapshot(3, t3, BASE))
    assert current(store) == {(n, v) for n, v, _ in BASE}
    assert store.query("SELECT removed_at FROM software_installs WHERE name = 'stray'") == [{"removed_at": t3}]


def test_snapshot_items_are_stored_as_columns_with_duplicates_collapsed(store: Store) -> None:
    r = snapshot(1, T0, [*BASE, ("bash", "5.2", "deb")])
    r.host_snapshot.software[0].vendor = "Debian"
    r.host_snapshot.software[0].purl = "pkg:deb/debian/bash@5.2"
    r.host_snapshot.software[1].installed_at.FromDatetime(T0 - timedelta(days=3))
    assert clean(store_all(store, r))
    rows = store.query("SELECT name, vendor, purl, source_package, installed_at FROM software_installs ORDER BY name")
    assert rows == [
        {"name": "bash", "vendor": "Debian", "purl": "pkg:deb/debian/bash@5.2", "source_package": None,
         "installed_at": None},
        {"name": "curl", "vendor": None, "purl": None, "source_package": None, "installed_at": T0 - timedelta(days=3)},
        {"name": "vim", "vendor": None, "purl": None, "source_package": None, "installed_at": None},
    ]
    assert store.query("SELECT items FROM reports") == [{"items": 5}]  # 1 sighting + 4 rows as sent


# --- random deltas against a model of the open rows --------------------------------------------

_NAMES = ("bash", "curl", "vim")
_VERSIONS = ("1", "2", "3")
_items = st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(_VERSIONS), st.just("deb")), max_size=5)
_deltas = st.lists(st.tuples(_items, _items, _items), min_size=1, max_size=4)  # (added, removed, changed)


def _apply(model: dict[Item, datetime], at: datetime, added: Sequence[Item], removed: Sequence[Item],
           changed: Sequence[Item]) -> dict[Item, datetime]:
    """What a delta means (report.proto, HostDelta), as open row -> first seen: removed closes every
    version of its name; changed closes the other versions of its name; both it and added are then
    open, since `at` unless they stayed open."""
    gone = {(n, s) for n, _, s in removed}
    bumped = {(n, s): {v for m, v, t in changed if (m, t) == (n, s)} for n, _, s in changed}
    kept = {(n, v, s): since for (n, v, s), since in model.items()
            if (n, s) not in gone and not ((n, s) in bumped and bumped[(n, s)] != {v})}
    return {**dict.fromkeys([*changed, *added], at), **kept}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=_items, deltas=_deltas, one_batch=st.booleans())
def test_random_deltas_leave_the_rows_the_model_says(tmp_path: Path, start: list[Item],
                                                     deltas: list[tuple[list[Item], list[Item], list[Item]]],
                                                     one_batch: bool) -> None:
    """Removed, changed (several versions of one name included) and added rows, alone or in one batch."""
    store = Store.open(tmp_path / f"{uuid.uuid4()}.duckdb")
    try:
        first = snapshot(1, T0, start)
        model = dict.fromkeys(start, T0)
        reports, base = [first], first.report_id
        for n, (added, removed, changed) in enumerate(deltas, start=2):
            at = T0 + timedelta(minutes=n)
            model = _apply(model, at, added, removed, changed)
            r = delta(n, at, base, added=added, removed=removed, changed=changed, after=sorted(model))
            reports.append(r)
            base = r.report_id
        if one_batch:
            assert not store_all(store, *reports).need_full_snapshot
        else:
            for r in reports:
                assert not store_all(store, r).need_full_snapshot
        opened = store.query("SELECT name, version, first_seen FROM software_installs WHERE removed_at IS NULL")
        expected = {(n, v): since for (n, v, _), since in model.items()}
        assert {(r["name"], r["version"]): r["first_seen"] for r in opened} == expected
        assert not store.query("SELECT name, version, count(*) AS n FROM software_installs WHERE removed_at IS NULL "
                               "GROUP BY ALL HAVING count(*) > 1")
    finally:
        store.close()

"""`netcensus changes`: assets, software and findings that changed in a window, from a real DuckDB file.

Sightings and sweeps are written into the store's tables (the ingest path has its own tests); software
goes through the real codec and Store.store_reports, so versions open and close rows as in production;
findings through Store.persist_findings, the lifecycle the refresh writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from collector.domain.findings import Evidence, FindingRow
from collector.domain.history import AssetChange, Changes
from collector.inventory.changes import changes
from collector.inventory.refresh import refresh
from collector.rules.order import package_order
from collector.store.duckdb import Store
from tests.collector.inventory.manual_estate import NOW, H, sight
from tests.collector.store.test_deltas import OK, SUBJECT, T0, snapshot, store_all

D = timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "nc.duckdb")
    yield s
    s.close()


def window(store: Store, now: datetime = NOW, length: timedelta = D) -> Changes:
    snap = refresh(store, now=now, ghost_after=timedelta(days=14), persist=False)
    return changes(snap, store, since=now - length, now=now, order=package_order)


M5 = timedelta(minutes=5)


def sweep(store: Store, report_id: str, at: datetime, targets: list[str], source: str = "scanner-1") -> None:
    """A sweep around `at`: it starts before the sightings it makes and finishes after them."""
    store.write([("INSERT INTO scan_runs VALUES (?, ?, ?, ?, ['arp'], ?, ?, true)",
                  [report_id, f"scan-{report_id}", source, targets, at - M5, at + M5])])


def mac(n: int) -> str:
    return f"00:1b:21:0f:00:{n:02x}"


def seen(report_id: str, n: int, at: datetime, ip: str, source: str = "scanner-1") -> dict[str, object]:
    return {"report_id": report_id, "source_id": source, "subject": f"mac:{mac(n)}", "method": "arp",
            "seen_at": at, "macs": [mac(n)], "ips": [ip]}


def by_change(c: Changes) -> dict[str, list[AssetChange]]:
    out: dict[str, list[AssetChange]] = {}
    for a in c.assets:
        out.setdefault(a.change, []).append(a)
    return out


def test_assets_appear_disappear_and_come_back_only_on_evidence(store: Store) -> None:
    t = NOW
    # Yesterday's sweep of 192.0.2.0/24 saw 2 and 5; 3 was seen by another scanner whose job never ran again.
    sweep(store, "r-old", t - 30 * H, ["192.0.2.0/24"])
    sweep(store, "r-other", t - 30 * H, ["198.51.100.0/24"], source="scanner-2")
    sight(store, seen("r-old", 2, t - 30 * H, "192.0.2.2"), seen("r-old", 5, t - 30 * H, "192.0.2.5"),
          seen("r-other", 3, t - 30 * H, "198.51.100.3", source="scanner-2"))
    # Ten days ago 4 was seen; the sweep the day after did not see it: it went long before this window.
    sweep(store, "r-10d", t - 10 * D, ["192.0.2.0/24"])
    sweep(store, "r-9d", t - 9 * D, ["192.0.2.0/24"])
    sight(store, seen("r-10d", 4, t - 10 * D, "192.0.2.4"))
    # Inside the window: a sweep that saw neither 2 nor 5, then one that saw 5 again and 1 for the first time.
    sweep(store, "r-20h", t - 20 * H, ["192.0.2.0/24"])
    sweep(store, "r-2h", t - 2 * H, ["192.0.2.0/24"])
    sight(store, seen("r-2h", 5, t - 2 * H, "192.0.2.5"), seen("r-2h", 1, t - 2 * H, "192.0.2.1"))
    # 6 is swept by its own scanner yesterday and today, with no look in between: it never left.
    sweep(store, "r-6a", t - 30 * H, ["203.0.113.0/24"], source="scanner-3")
    sweep(store, "r-6b", t - 2 * H, ["203.0.113.0/24"], source="scanner-3")
    sight(store, seen("r-6a", 6, t - 30 * H, "203.0.113.6", source="scanner-3"),
          seen("r-6b", 6, t - 2 * H, "203.0.113.6", source="scanner-3"))

    got = by_change(window(store))
    # (A sweep that saw an asset and finished after that sighting did not miss it: 1, 5 and 6 stay.)
    names = {k: sorted(a.mac or "" for a in v) for k, v in got.items()}
    assert names == {"appeared": [mac(1)], "disappeared": [mac(2)], "came back": [mac(5)]}
    (gone,) = got["disappeared"]
    assert gone.at == t - 20 * H + M5 and gone.last_seen == t - 30 * H  # when that sweep finished
    assert "192.0.2.0/24" in gone.detail and "did not see it" in gone.detail
    (back,) = got["came back"]
    assert back.at == t - 2 * H and back.last_seen == t - 30 * H
    # A longer window reaches back to the 10-day-old disappearance.
    assert mac(4) in [a.mac for a in window(store, length=12 * D).assets if a.change == "disappeared"]


def test_agents_that_fall_silent_or_return_and_identity_changes(store: Store) -> None:
    t = NOW

    def agent(name: str, at: datetime, ip: str, host: str | None = None) -> dict[str, object]:
        return {"subject": f"agent:{name}", "source_id": name, "method": "agent", "seen_at": at, "ips": [ip],
                "hostname": host or name, "serial": f"SN-{name}"}

    sight(store, agent("pc9", t - 30 * H, "10.9.0.9"),                        # silent since yesterday
          agent("pc8", t - 3 * D, "10.9.0.8"), agent("pc8", t - H, "10.9.0.8"),  # back after 3 days
          agent("pc7", t - 26 * H, "10.9.0.70"), agent("pc7", t - 3 * H, "10.9.0.71", host="pc7-new"),
          agent("pc6", t - 5 * D, "10.9.0.6"))                                # gone long ago: not this window
    got = by_change(window(store))
    assert [a.hostname for a in got["disappeared"]] == ["pc9"] and got["disappeared"][0].at is None
    assert "silent" in got["disappeared"][0].detail
    assert [a.hostname for a in got["came back"]] == ["pc8"]
    (changed,) = got["identity"]
    assert changed.hostname == "pc7-new"
    assert "new hostname pc7-new (was pc7)" in changed.detail and "new ip 10.9.0.71 (was 10.9.0.70)" in changed.detail
    assert "appeared" not in got


def test_software_installed_removed_upgraded_in_each_ecosystems_order(store: Store) -> None:
    first = [("bash", "5.2.15-2", "deb"), ("curl", "7.88.1-10", "deb"), ("vim", "2:9.0.1378-2", "deb"),
             ("requests", "2.9.0", "pip"), ("openssl", "3.0.11-1~deb12u2", "deb")]
    later = [("bash", "5.2.15-2", "deb"), ("curl", "7.88.1-10+deb12u5", "deb"),  # Debian revision: upgrade
             ("requests", "2.10.0", "pip"),                                      # PEP 440: 2.10 > 2.9
             ("openssl", "3.0.11-1~deb12u1", "deb"),                              # downgrade
             ("zsh", "5.9-4", "deb")]
    both = {"deb": OK, "pip": OK}  # only a source whose collector completed may close rows
    store_all(store, snapshot(1, T0, first, both))
    store_all(store, snapshot(2, T0 + 2 * D, later, both))
    now = T0 + 2 * D + H
    c = window(store, now=now)
    moves = {(s.change, s.name, s.from_version, s.to_version) for s in c.software}
    assert moves == {("upgraded", "curl", "7.88.1-10", "7.88.1-10+deb12u5"),
                     ("upgraded", "requests", "2.9.0", "2.10.0"),
                     ("downgraded", "openssl", "3.0.11-1~deb12u2", "3.0.11-1~deb12u1"),
                     ("removed", "vim", "2:9.0.1378-2", None),
                     ("installed", "zsh", None, "5.9-4")}
    assert all(s.hostname == "pc-1" and s.at == T0 + 2 * D for s in c.software if s.change != "removed")
    (per,) = c.software_per_asset
    assert (per.installed, per.removed, per.upgraded, per.downgraded, per.first_inventory) == (1, 1, 2, 1, 0)
    assert c.software_totals.upgraded == 2 and c.software_totals.asset_id is None
    # The first report of a host is its first inventory, not five installs.
    first_time = window(store, now=now, length=3 * D)
    assert [s for s in first_time.software if s.change == "installed"] == []
    assert first_time.software_totals.first_inventory == 5
    assert store.query("SELECT count(*) AS n FROM software_installs WHERE subject = ?", [SUBJECT])[0]["n"] == 9


def finding(kind: str, **changes: object) -> FindingRow:
    row = FindingRow(
        finding_id=f"f-{kind}", kind=kind, severity="high", asset_id="a-0001", hostname="pc-1", ip="192.0.2.1",
        mac=None, serial=None, asset_tag=None, status=None, status_class=None, rule_id=None,
        software_name="openssl", software_version="3.0.11", first_seen=NOW - D, last_seen=NOW,
        evidence=(Evidence("rules", "rule", NOW, "openssl 3.0.11"),), summary=f"a {kind} finding",
        suppressed=False, suppression=None, register=None, record_key=None, opened_at=None, resolved_at=None)
    return replace(row, **changes)  # type: ignore[arg-type]


def test_finding_events_of_any_kind_are_kept_through_reopening(store: Store) -> None:
    t = NOW - 3 * D
    steps = [
        (t, [finding("vulnerable-software", opened_at=t)]),
        (t + D, [finding("vulnerable-software", opened_at=t, suppressed=True, suppression="vendor patch (until x)")]),
        (t + 2 * D, []),
        (t + 2 * D + H, [finding("vulnerable-software", opened_at=t + 2 * D + H), finding("posture-firewall-off",
                                                                                         opened_at=t + 2 * D + H)]),
    ]
    for at, rows in steps:
        store.persist_findings(rows, at)
    events = store.query("SELECT finding_id, event, happened_at FROM finding_events ORDER BY happened_at, event")
    assert [(e["finding_id"], e["event"]) for e in events] == [
        ("f-vulnerable-software", "opened"), ("f-vulnerable-software", "suppressed"),
        ("f-vulnerable-software", "resolved"),
        ("f-posture-firewall-off", "opened"), ("f-vulnerable-software", "reopened")]
    c = window(store, now=NOW, length=D + 2 * H)
    assert [(f.event, f.kind) for f in c.findings] == [("resolved", "vulnerable-software"),
                                                       ("opened", "posture-firewall-off"),
                                                       ("reopened", "vulnerable-software")]
    assert c.findings[0].summary == "a vulnerable-software finding"


def test_migration_011_backfills_history_from_the_findings_table(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    store = Store.open(path)
    store.persist_findings([finding("ghost", opened_at=NOW - D)], NOW - D)
    store.persist_findings([], NOW)
    # As a database made before migration 011 would be: no history rows, and 011 not applied yet.
    store.write([("DELETE FROM finding_events", []), ("DELETE FROM schema_migrations WHERE version = 11", []),
                 ("DROP TABLE finding_events", [])])
    store.close()
    store = Store.open(path)
    try:
        events = store.query("SELECT event, happened_at FROM finding_events ORDER BY happened_at")
    finally:
        store.close()
    assert [(e["event"], e["happened_at"]) for e in events] == [("opened", NOW - D), ("resolved", NOW)]

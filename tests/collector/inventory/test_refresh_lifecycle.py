"""Findings lifecycle and store-level identity, through collector.inventory.refresh.refresh() on a real DuckDB file.

Sightings are written straight into the store's tables (as the ingest path leaves them), so each
test states exactly what was seen and when; `now` is injected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from collector.domain.findings import FindingRow
from collector.inventory.identity import IP_AT_TIME
from collector.inventory.refresh import refresh
from collector.store.duckdb import Store

T1 = datetime(2026, 11, 2, 9, tzinfo=UTC)
DAY = timedelta(days=1)
WINDOW = timedelta(days=14)
ROGUE = "00:1b:21:99:99:99"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "x.duckdb")
    yield s
    s.close()


def sight(store: Store, *rows: dict[str, Any]) -> None:
    """Store sightings: each row needs subject, method and seen_at; the rest is optional."""
    full = [{"report_id": f"r-{n}-{row['subject']}-{row['seen_at'].timestamp()}", "source_id": "scanner-1",
             "ips": [], "macs": [], "networks": [], **row} for n, row in enumerate(rows)]
    table = pa.Table.from_pylist(full)
    store.write([("INSERT INTO sightings BY NAME SELECT * FROM new_sightings", [])], tables={"new_sightings": table})


def arp(mac: str, at: datetime, ip: str = "192.0.2.66") -> dict[str, Any]:
    return {"subject": f"mac:{mac}", "method": "arp", "seen_at": at, "macs": [mac], "ips": [ip]}


def open_zombies(store: Store, now: datetime) -> list[FindingRow]:
    return [f for f in refresh(store, now=now, ghost_after=WINDOW).findings if f.kind == "zombie"]


def stored(store: Store, finding_id: str) -> dict[str, Any]:
    (row,) = store.query("SELECT opened_at, resolved_at FROM findings WHERE finding_id = ?", [finding_id])
    return row


def test_finding_opens_stays_open_resolves_and_reopens(store: Store) -> None:
    sight(store, arp(ROGUE, T1 - timedelta(hours=1)))
    (first,) = open_zombies(store, T1)                                   # opened
    fid = first.finding_id
    assert first.opened_at == T1 and first.resolved_at is None

    sight(store, arp(ROGUE, T1 + DAY - timedelta(hours=1)))
    (again,) = open_zombies(store, T1 + DAY)                             # still open: opened_at unchanged
    assert again.finding_id == fid and again.opened_at == T1
    assert stored(store, fid) == {"opened_at": T1, "resolved_at": None}

    gone = T1 + 20 * DAY                                                 # unseen past the window: resolved
    assert open_zombies(store, gone) == []
    assert stored(store, fid) == {"opened_at": T1, "resolved_at": gone}
    # the resolved finding reads back as it was last open (evidence times included), now resolved
    assert store.resolved_findings() == [replace(again, resolved_at=gone)]

    back = T1 + 30 * DAY                                                 # seen again: reopened
    sight(store, arp(ROGUE, back - timedelta(hours=1)))
    (reopened,) = open_zombies(store, back)
    assert reopened.finding_id == fid and reopened.opened_at == back
    assert stored(store, fid) == {"opened_at": back, "resolved_at": None}
    assert store.resolved_findings() == []


def test_refresh_without_persisting_keeps_the_stored_lifecycle(store: Store) -> None:
    sight(store, arp(ROGUE, T1 - timedelta(hours=1)))
    (first,) = open_zombies(store, T1)
    preview = refresh(store, now=T1 + DAY, ghost_after=WINDOW, persist=False).findings
    assert [(f.finding_id, f.opened_at) for f in preview] == [(first.finding_id, T1)]
    assert stored(store, first.finding_id)["opened_at"] == T1


def test_address_only_sighting_attaches_by_ip_at_time(store: Store) -> None:
    mac = "00:1b:21:00:00:50"
    sight(store,
          {"subject": "agent:a", "source_id": "a", "method": "agent", "seen_at": T1 - timedelta(hours=2),
           "hostname": "fin-lt-014", "macs": [mac], "ips": ["192.0.2.50"], "networks": ["192.0.2.0/24"]},
          arp(mac, T1 - timedelta(hours=2), "192.0.2.50"),
          # forty minutes later nmap sees the address, and nothing else, from another subnet
          {"subject": "ip:192.0.2.50", "method": "nmap", "seen_at": T1 - timedelta(minutes=80),
           "ips": ["192.0.2.50"]},
          # an address no keyed machine held: stays an address-only asset
          {"subject": "ip:192.0.2.77", "method": "nmap", "seen_at": T1 - timedelta(minutes=30),
           "ips": ["192.0.2.77"]})
    snapshot = refresh(store, now=T1, ghost_after=WINDOW)
    assert sorted(sorted(a.members) for a in snapshot.assets) == [
        ["agent:a", "ip:192.0.2.50", f"mac:{mac}"], ["ip:192.0.2.77"]]
    members = {r["subject"]: r["matched_by"] for r in store.query("SELECT * FROM asset_members")}
    assert members["ip:192.0.2.50"] == IP_AT_TIME and members["agent:a"] == "anchor"
    fin = next(a for a in snapshot.assets if "agent:a" in a.members)
    assert {e[1] for e in fin.evidence} == {"agent", "arp", "nmap"}


def test_address_sighting_long_after_the_holder_left_does_not_attach(store: Store) -> None:
    sight(store, arp("00:1b:21:00:00:50", T1 - 3 * DAY, "192.0.2.50"),
          {"subject": "ip:192.0.2.50", "method": "nmap", "seen_at": T1, "ips": ["192.0.2.50"]})
    assert len(refresh(store, now=T1, ghost_after=WINDOW).assets) == 2


def test_cloned_vms_give_one_identity_conflict_that_stays_open(store: Store) -> None:
    uuid = "4c4c4544-0031-3510-8036-b4c04f4e4d32"
    # both agents report for the same three days: two machines alive together, not one re-imaged
    vms = [{"subject": f"agent:vm{i}", "source_id": f"vm{i}", "method": "agent", "seen_at": at,
            "hostname": f"app-0{i}", "macs": [f"00:50:56:00:00:0{i}"], "system_uuid": uuid}
           for i in (1, 2) for at in (T1 - 3 * DAY, T1 - timedelta(hours=i))]
    sight(store, *vms)
    (dup,) = [f for f in refresh(store, now=T1, ghost_after=WINDOW).findings if f.kind == "identity-conflict"]
    assert uuid in dup.summary and "vm1" in dup.summary and "vm2" in dup.summary
    (later,) = [f for f in refresh(store, now=T1 + DAY, ghost_after=WINDOW).findings
                if f.kind == "identity-conflict"]
    assert later.finding_id == dup.finding_id and later.opened_at == T1


def test_hundreds_of_macs_on_one_switch_port_are_separate_hosts_with_the_port_in_evidence(store: Store) -> None:
    macs = [f"00:1b:21:01:{i >> 8:02x}:{i & 255:02x}" for i in range(300)]
    sight(store, *({"subject": f"mac:{mac}", "method": "snmp-fdb", "seen_at": T1 - timedelta(hours=1),
                    "macs": [mac], "seen_via_name": "sw-core-1", "seen_via_ip": "192.0.2.2",
                    "seen_via_port": "Gi1/0/24", "vlan": 10} for mac in macs))
    snapshot = refresh(store, now=T1, ghost_after=WINDOW)
    assert len(snapshot.assets) == 300
    assert {f.kind for f in snapshot.findings} == {"zombie"}
    for f in snapshot.findings:
        (ev,) = f.evidence
        assert ev.method == "snmp-fdb"
        assert ev.detail == f"({f.mac}) in the forwarding table of sw-core-1 port Gi1/0/24 vlan 10"

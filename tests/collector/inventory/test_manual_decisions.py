"""Manual merge/split decisions through refresh() on a real DuckDB file: applied, shown as `manual`,
kept across refreshes, restarts and register re-imports, undoable; and the references people type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from collector.errors import UsageError
from collector.inventory import refs
from collector.inventory.explain import explain
from collector.inventory.refresh import Snapshot, refresh
from collector.store.duckdb import Store
from tests.collector.inventory.manual_estate import ARP_MAC, DOCK_MAC, IF_MAC, NOW, H, estate, register, sight

WINDOW = timedelta(days=14)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nc.duckdb"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = Store.open(db)
    yield s
    s.close()


def snap(store: Store, now: datetime = NOW) -> Snapshot:
    return refresh(store, now=now, ghost_after=WINDOW)


def members(s: Snapshot) -> list[list[str]]:
    return sorted(sorted(a.members) for a in s.assets)


def keys(s: Snapshot, subject: str) -> str:
    return next(a.matched_by[subject] for a in s.assets if subject in a.members)


def zombies(s: Snapshot) -> list[str]:
    return sorted(f.hostname or f.mac or "" for f in s.findings if f.kind == "zombie")


def decide(store: Store, action: str, *ref: str, subject: str = "", reason: str = "checked on site") -> int:
    return refs.record_decision(store, snap(store), action=action, refs=list(ref), subject=subject, reason=reason,
                                who="local:alice", now=NOW).decision_id


def test_merge_joins_the_two_halves_of_one_router_and_survives_refresh_restart_and_reimport(db: Path) -> None:
    store = Store.open(db)
    estate(store)
    register(store)
    before = snap(store)
    assert [f"mac:{ARP_MAC}"] in members(before) and [f"mac:{IF_MAC}"] in members(before)
    assert zombies(before) == ["isp-gw"]                       # the SNMP half: the false zombie
    number = decide(store, "merge", "isp-gw", ARP_MAC)
    after = snap(store)
    assert sorted([f"mac:{ARP_MAC}", f"mac:{IF_MAC}"]) in members(after)
    assert "manual" in (keys(after, f"mac:{ARP_MAC}"), keys(after, f"mac:{IF_MAC}"))
    assert zombies(after) == []
    (merged,) = [a for a in after.assets if f"mac:{IF_MAC}" in a.members]
    assert any(src == f"decision:{number}" and method == "manual" for src, method, _, _ in merged.evidence)
    assert f"decision:{number}:manual" in merged.sources          # `assets` shows it among the sources
    assert after.decisions[0].state == "applied"
    store.close()

    store = Store.open(db)                                      # a restart
    register(store, NOW - H)                                   # a register re-import
    estate(store, NOW - timedelta(minutes=5))                  # a new sweep
    again = snap(store, NOW + H)
    assert sorted([f"mac:{ARP_MAC}", f"mac:{IF_MAC}"]) in members(again) and zombies(again) == []
    refs.undo_decision(store, number, who="local:bob", now=NOW + H)
    undone = snap(store, NOW + H)
    assert [f"mac:{IF_MAC}"] in members(undone) and zombies(undone) == ["isp-gw"]
    assert undone.decisions[0].state == "undone" and undone.decisions[0].undone_by == "local:bob"
    store.close()


def test_split_wins_over_the_key_that_joined_and_survives_refresh_restart_and_reimport(db: Path) -> None:
    store = Store.open(db)
    estate(store)
    register(store)
    assert sorted(["agent:pc1", f"mac:{DOCK_MAC}"]) in members(snap(store))   # joined by host name
    number = decide(store, "split", "NC-PC1", subject=f"mac:{DOCK_MAC}", reason="a dock, not the PC")
    after = snap(store)
    assert ["agent:pc1"] in members(after) and [f"mac:{DOCK_MAC}"] in members(after)
    # the pair still shares a host name in the same period, but a person said they are two: no duplicate
    assert not [f for f in after.findings if f.kind == "possible-duplicate"]
    store.close()

    store = Store.open(db)
    register(store, NOW - H)
    estate(store, NOW - timedelta(minutes=5))
    again = snap(store, NOW + H)
    assert ["agent:pc1"] in members(again) and [f"mac:{DOCK_MAC}"] in members(again)
    refs.undo_decision(store, number, who="local:alice", now=NOW + H)
    assert sorted(["agent:pc1", f"mac:{DOCK_MAC}"]) in members(snap(store, NOW + H))
    store.close()


def test_without_the_split_the_shared_name_would_be_a_possible_duplicate(store: Store) -> None:
    """The near-miss above is a near-miss because of the split: two serials with one name are reported."""
    sight(store, {"subject": "agent:a", "source_id": "a", "method": "agent", "seen_at": NOW - H, "hostname": "web-01",
                  "serial": "SN-A"},
          {"subject": "agent:b", "source_id": "b", "method": "agent", "seen_at": NOW - H, "hostname": "web-01",
           "serial": "SN-B"})
    (row,) = snap(store).duplicates
    assert row.signals == ("hostname",) and "web-01" in row.why


def test_apart_answers_a_false_possible_duplicate_and_holds_against_a_later_shared_key(store: Store) -> None:
    sight(store, {"subject": "agent:a", "source_id": "a", "method": "agent", "seen_at": NOW - H, "hostname": "web-01",
                  "serial": "SN-A"},
          {"subject": "agent:b", "source_id": "b", "method": "agent", "seen_at": NOW - H, "hostname": "web-01",
           "serial": "SN-B"})
    (row,) = snap(store).duplicates
    number = decide(store, "apart", row.asset_id, row.other_asset_id or "", reason="two web servers, one name")
    s = snap(store)
    assert s.duplicates == [] and [d.state for d in s.decisions] == ["applied"]
    refs.undo_decision(store, number, who="local:alice", now=NOW)
    assert [d.signals for d in snap(store).duplicates] == [("hostname",)]


def test_apart_wins_over_a_key_that_would_join_the_two(store: Store) -> None:
    estate(store)
    decide(store, "apart", ARP_MAC, "isp-gw", reason="the switch in front of the router, not the router")
    # a later SNMP answer lists both MACs: the MAC key would join the two assets, the decision keeps them apart
    sight(store, {"subject": f"mac:{IF_MAC}", "method": "snmp", "seen_at": NOW - H / 2, "macs": [IF_MAC, ARP_MAC],
                  "ips": ["192.0.2.1"], "hostname": "isp-gw"})
    assert [f"mac:{ARP_MAC}"] in members(snap(store)) and [f"mac:{IF_MAC}"] in members(snap(store))
    merge = decide(store, "merge", f"mac:{ARP_MAC}", f"mac:{IF_MAC}")
    assert {d.decision_id: d.state for d in snap(store).decisions}[merge] == "blocked by apart 1"


def test_a_split_blocks_a_later_merge_of_the_same_subjects(store: Store) -> None:
    estate(store)
    split = decide(store, "split", "pc-1", subject=f"mac:{DOCK_MAC}")
    merge = decide(store, "merge", "agent:pc1", f"mac:{DOCK_MAC}")
    states = {d.decision_id: d.state for d in snap(store).decisions}
    assert states == {split: "applied", merge: f"blocked by split {split}"}
    assert ["agent:pc1"] in members(snap(store))


def test_a_decision_whose_subject_is_gone_is_listed_as_stale(store: Store) -> None:
    estate(store)
    number = decide(store, "merge", "isp-gw", ARP_MAC)
    store.write([("DELETE FROM sightings WHERE subject = ?", [f"mac:{IF_MAC}"])])
    (d,) = snap(store).decisions
    assert d.decision_id == number and d.state == f"stale: mac:{IF_MAC} is no longer seen"


def test_a_merge_the_keys_later_make_on_their_own_says_so(store: Store) -> None:
    estate(store)
    number = decide(store, "merge", "isp-gw", ARP_MAC)
    sight(store, {"subject": f"mac:{IF_MAC}", "method": "snmp", "seen_at": NOW - H / 2, "macs": [IF_MAC, ARP_MAC],
                  "ips": ["192.0.2.1"], "hostname": "isp-gw"})            # the device now lists the ARP MAC too
    s = snap(store)
    assert {d.decision_id: d.state for d in s.decisions} == {number: "already joined by keys"}
    assert keys(s, f"mac:{IF_MAC}") in ("anchor", "mac") and keys(s, f"mac:{ARP_MAC}") in ("anchor", "mac")


@pytest.mark.parametrize(("action", "args", "subject", "reason", "message"), [
    ("merge", ("no-such-host", "isp-gw"), "", "x", "no asset matches 'no-such-host'"),
    ("merge", ("192.0.2.1", "pc-1"), "", "x", "'192.0.2.1' matches 2 assets"),        # the router's two halves
    ("merge", ("pc-1", "SN-PC1-tag-nope"), "", "x", "no asset matches"),
    ("merge", ("pc-1", "NC-PC1"), "", "x", "same asset"),
    ("merge", ("isp-gw", ARP_MAC), "", "   ", "--reason is required"),
    ("split", ("pc-1",), f"mac:{ARP_MAC}", "x", f"'mac:{ARP_MAC}' is not a subject of"),
    ("split", ("isp-gw",), f"mac:{IF_MAC}", "x", "is the only subject"),
    ("apart", ("pc-1", "NC-PC1"), "", "x", "are one asset"),
    ("apart", ("isp-gw",), "", "x", "a merge or apart names two assets"),
], ids=["unknown", "ambiguous", "unknown second", "self-merge", "no reason", "subject elsewhere", "only subject",
        "apart of one asset", "apart of one ref"])
def test_bad_requests_are_one_line_errors_and_store_nothing(store: Store, action: str, args: tuple[str, ...],
                                                           subject: str, reason: str, message: str) -> None:
    estate(store)
    register(store)
    with pytest.raises(UsageError) as caught:
        decide(store, action, *args, subject=subject, reason=reason)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert store.load_decisions() == []


def test_undo_of_an_unknown_or_undone_decision_is_refused(store: Store) -> None:
    estate(store)
    number = decide(store, "merge", "isp-gw", ARP_MAC)
    refs.undo_decision(store, number, who="local:alice", now=NOW)
    for n in (number, 999):
        with pytest.raises(UsageError, match=f"no standing decision #{n}"):
            refs.undo_decision(store, n, who="local:alice", now=NOW)


@pytest.mark.parametrize("ref", ["{asset_id}", "nc-pc1", "PC-1", "192.0.2.20", "00-1B-21-CC-00-01", "agent:pc1"],
                         ids=["asset id", "asset tag", "host name", "ip", "mac", "subject"])
def test_explain_finds_the_asset_by_every_kind_of_ref(store: Store, ref: str) -> None:
    estate(store)
    register(store)
    s = snap(store)
    (pc,) = [a for a in s.assets if "agent:pc1" in a.members]
    e = explain(ref.format(asset_id=pc.asset_id), s)
    assert e.asset.asset_id == pc.asset_id
    assert {m.subject: m.key for m in e.members} == {"agent:pc1": "anchor", f"mac:{DOCK_MAC}": "hostname"}
    assert e.record is not None and e.record.startswith("NC-PC1 (register snipeit, r.csv line 3")
    assert e.record_key == "serial"
    agent = next(m for m in e.members if m.subject == "agent:pc1")
    assert agent.first_seen == agent.last_seen == NOW - H and agent.sources == ("pc1:agent",) and agent.seen


def test_explain_shows_a_manual_merge_and_its_decision(store: Store) -> None:
    estate(store)
    number = decide(store, "merge", "isp-gw", ARP_MAC, reason="one router: ARP and SNMP halves")
    e = explain("isp-gw", snap(store))
    assert "manual" in {m.key for m in e.members}
    (d,) = e.decisions
    assert (d.decision_id, d.action, d.state, d.decided_by, d.reason) == (
        number, "merge", "applied", "local:alice", "one router: ARP and SNMP halves")

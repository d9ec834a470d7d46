"""Delta computation and the acked baseline (pure, plus the on-disk baseline)."""

from __future__ import annotations

from pathlib import Path

from agent.facts.model import CollectorState, CollectorStatus, HostFacts, Inventory, SoftwareItem
from agent.transport.baseline import Baseline
from agent.transport.delta import checksum, compute_delta, key_of, next_baseline


def inv(items: list[SoftwareItem], states: dict[str, CollectorState]) -> Inventory:
    return Inventory(HostFacts("h"), tuple(items), tuple(CollectorStatus(n, s) for n, s in states.items()))


BASH = SoftwareItem("bash", "5.2.15-2", "deb", arch="amd64")
CURL = SoftwareItem("curl", "7.88.1-10", "deb", arch="amd64")
REQUESTS = SoftwareItem("requests", "2.31.0", "pip")
OK = CollectorState.OK


def test_added_removed_changed() -> None:
    base = {key_of(i): i for i in (BASH, CURL, REQUESTS)}
    bash2 = SoftwareItem("bash", "5.2.15-3", "deb", arch="amd64")
    vim = SoftwareItem("vim", "2:9.0.1378-2", "deb", arch="amd64")
    d = compute_delta(base, inv([bash2, vim, REQUESTS], {"deb": OK, "pip": OK}))
    assert d.added == (vim,)
    assert d.changed == (bash2,)
    assert d.removed == (CURL,)
    assert d.size == 3


def test_failed_collector_removes_nothing_and_keeps_its_baseline() -> None:
    base = {key_of(i): i for i in (BASH, CURL, REQUESTS)}
    current = inv([BASH, CURL], {"deb": OK, "pip": CollectorState.TIMED_OUT})
    d = compute_delta(base, current)
    assert d.size == 0  # requests is not "removed": pip did not finish
    assert set(next_baseline(base, current)) == {key_of(BASH), key_of(CURL), key_of(REQUESTS)}


def test_checksum_covers_complete_sources_only_and_ignores_order() -> None:
    assert checksum([BASH, CURL, REQUESTS], ["deb"]) == checksum([CURL, BASH], ["deb"])
    assert checksum([BASH, REQUESTS], ["deb"]) != checksum([BASH, REQUESTS], ["deb", "pip"])
    assert checksum([BASH], ["deb"]) != checksum([CURL], ["deb"])


def test_baseline_round_trip(tmp_path: Path) -> None:
    b = Baseline(tmp_path / "baseline.json", report_id="r1", collector="127.0.0.1:1",
                 items={key_of(i): i for i in (BASH, REQUESTS)}, deltas_since_full=3)
    b.save()
    again = Baseline.load(tmp_path / "baseline.json")
    assert (again.report_id, again.collector, again.deltas_since_full, again.force_full) == ("r1", "127.0.0.1:1", 3,
                                                                                            False)
    assert again.items == b.items
    assert Baseline.load(tmp_path / "missing.json").report_id == ""
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert Baseline.load(tmp_path / "bad.json").items == {}

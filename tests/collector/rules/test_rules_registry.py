"""The engine registry and the bridge to reconciliation findings (collector/rules/registry.py, bridge.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from collector.domain.findings import Evidence
from collector.errors import UsageError
from collector.inventory.identity import ResolvedAsset
from collector.rules import load_rules
from collector.rules.bridge import load_software_rules, to_finding
from collector.rules.registry import DEFAULT_ENGINE, ENGINES, engine_for
from tests.collector.rules.rules_support import NOW, T0, Host, build_store, write_rules

DENY = """
rules:
  - {id: ra, title: Remote access tool, severity: high, type: deny, match: {name: ["anydesk*"]}}
"""


def test_unknown_engine_is_a_usage_error_naming_the_known_ones(tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "rules", "r.yaml", DENY)
    with pytest.raises(UsageError, match=r"no rule engine 'nope'; known: .*sql"):
        load_software_rules([rules], engine="nope")
    assert DEFAULT_ENGINE in ENGINES


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_every_registered_engine_evaluates_a_store(tmp_path: Path, name: str) -> None:
    rules = load_rules([write_rules(tmp_path / "r", "r.yaml", DENY)])
    store = build_store(tmp_path / "estate.duckdb", [
        Host("a1", "ws-1", software=[("AnyDesk", "8.0", "AnyDesk Software GmbH", "msi")]),
        Host("a2", "ws-2", software=[("bash", "5.2", "", "deb")]),
    ])
    try:
        findings = engine_for(store, name).evaluate(rules, NOW)
    finally:
        store.close()
    assert [(f.rule_id, f.asset_id, f.software_name, f.software_version, f.software_source) for f in findings] == [
        ("ra", "a1", "AnyDesk", "8.0", "msi")]


def test_to_finding_keeps_the_rule_finding_and_names_the_reporter(tmp_path: Path) -> None:
    store = build_store(tmp_path / "estate.duckdb",
                        [Host("a1", "ws-1", software=[("anydesk", "7.0.1", "", "deb")]), Host("a2", "ws-2")])
    try:
        (rf,) = engine_for(store).evaluate(load_rules([write_rules(tmp_path / "r", "r.yaml", DENY)]), NOW)
    finally:
        store.close()
    seen = T0 + timedelta(days=3)
    asset = ResolvedAsset(
        asset_id="a1", members=["agent:a1"], matched_by={}, hostnames=["ws-1"], ips=[], macs=[], serials=[],
        uuids=[], vendor="", model="", device_type="workstation", os="", os_family="linux", first_seen=T0,
        last_seen=NOW, sources=["agent-1", "scan-1"], has_software=True,
        evidence=[("agent-1", "agent", seen, "host report"), ("scan-1", "arp", seen, "ARP reply")])
    f = to_finding(rf, asset)
    assert (f.kind, f.severity, f.rule_id, f.software_name, f.software_version, f.asset) == (
        "unauthorised-software", "high", "ra", "anydesk", "7.0.1", asset)
    assert (f.first_seen, f.last_seen, f.suppressed, f.summary) == (T0, NOW, False, rf.summary)
    assert f.evidence == (
        Evidence(source="agent-1", method="agent", seen_at=seen, detail="anydesk 7.0.1 (deb package); host report"),
        Evidence(source="rules", method="rule", seen_at=NOW, detail="rule ra: Remote access tool"),
    )
    # No resolved asset: the rule is still the evidence.
    assert [e.source for e in to_finding(rf, None).evidence] == ["rules"]

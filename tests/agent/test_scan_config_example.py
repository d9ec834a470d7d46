"""The commented scheduled-sweep example under packaging/ is a valid file for the real loader (issue #17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.scan.schedule import load_scan_config, parse_duration

EXAMPLE = Path(__file__).resolve().parents[2] / "packaging" / "scan.toml.example"


def test_the_packaged_sweep_example_loads_with_its_credentials_by_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NETCENSUS_COMMUNITY_OFFICE", "NETCENSUS_V3_AUTH", "NETCENSUS_V3_PRIV"):
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    config = load_scan_config(EXAMPLE)
    office, datacentre = config.jobs
    assert (office.name, datacentre.name) == ("office", "datacentre")
    assert office.interval_s == parse_duration("1h", "x") and datacentre.options.profile == "ports"
    assert office.options.time_budget_s == 600 and datacentre.options.snmp_depth == "discovery"
    assert [c.name for c in datacentre.credentials] == ["core-v3"]
    assert "value-of" not in EXAMPLE.read_text(encoding="utf-8")  # secrets by reference only


def test_the_example_refuses_to_load_when_a_referenced_secret_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.errors import ConfigError

    monkeypatch.delenv("NETCENSUS_COMMUNITY_OFFICE", raising=False)
    monkeypatch.setenv("NETCENSUS_V3_AUTH", "x" * 12)
    monkeypatch.setenv("NETCENSUS_V3_PRIV", "y" * 12)
    with pytest.raises(ConfigError, match="NETCENSUS_COMMUNITY_OFFICE"):
        load_scan_config(EXAMPLE)

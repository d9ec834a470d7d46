"""Findings and assets survive the Query service's messages: what --collector prints is what --db prints."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from collector.domain.findings import AssetRow, Evidence, FindingRow
from collector.wire.query import asset_from_proto, asset_to_proto, finding_from_proto, finding_to_proto

T = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)

FINDING = FindingRow(
    finding_id="f-0123456789abcdef", kind="unauthorised-software", severity="high", asset_id="a-1",
    hostname="fin-lt-014", ip="192.0.2.11", mac="00:1b:21:0a:00:01", serial="5CG1234ABC", asset_tag="NC-1",
    status="Deployed", status_class="in-use", rule_id="remote-access-unapproved", software_name="teamviewer",
    software_version="15.2", first_seen=T, last_seen=T,
    evidence=(Evidence("agent-1", "agent", T, "teamviewer 15.2 (deb package); agent report"),
              Evidence("rules", "rule", None, "rule remote-access-unapproved: Remote access")),
    summary="fin-lt-014 runs teamviewer 15.2.", suppressed=True, suppression="approved until 2027-06-30",
    register="snipeit", record_key="NC-1", opened_at=T, resolved_at=None)


def test_a_finding_round_trips_whole() -> None:
    """Register and record key included: `--collector` answers exactly what `--db` does."""
    assert finding_from_proto(finding_to_proto(FINDING)) == FINDING


def test_an_unmatched_finding_keeps_its_nulls() -> None:
    bare = replace(FINDING, asset_id=None, hostname=None, ip=None, mac=None, serial=None, asset_tag=None, status=None,
                   status_class=None, rule_id=None, software_name=None, software_version=None, first_seen=None,
                   last_seen=None, evidence=(), suppressed=False, suppression=None, register=None, record_key=None,
                   resolved_at=T)
    assert finding_from_proto(finding_to_proto(bare)) == bare


def test_an_asset_round_trips() -> None:
    asset = AssetRow(asset_id="a-1", hostnames=("fin-lt-099", "fin-lt-014"), ips=("192.0.2.11",),
                     macs=("00:1b:21:0a:00:99",), vendor="Dell Inc.", serial="5CG1234ABC", model=None,
                     device_type="laptop", os="Debian GNU/Linux 12", first_seen=T, last_seen=T,
                     sources=("agent-1:agent",), asset_tag=None, status=None, matched_by="serial", system_uuid=None)
    assert asset_from_proto(asset_to_proto(asset)) == asset

"""Possible duplicates, decisions and explanations survive the wire: --collector prints what --db prints."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from collector.domain.decisions import Decision, DuplicateRow, Explanation, MemberRow
from collector.domain.findings import AssetRow
from collector.wire.decisions import (
    decision_from_proto,
    decision_to_proto,
    duplicate_from_proto,
    duplicate_to_proto,
    explanation_from_proto,
    explanation_to_proto,
)

T = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
DUPLICATE = DuplicateRow(finding_id="f-1", asset_id="a-1", other_asset_id="a-2", signals=("serial", "hostname"),
                         why="a-1 and a-2 may be one device: both report serial number X.", hostname="web-01",
                         other_hostname="web-01", records=("NC-1",), first_seen=T, last_seen=T)
DECISION = Decision(decision_id=3, action="split", subject="mac:00:1b:21:dd:00:07", others=("agent:pc1",),
                    asset_ids=("a-2",), reason="the dock \x1b[2J", decided_by="alice", decided_at=T,
                    undone_by="bob", undone_at=T, state="undone")
ASSET = AssetRow(asset_id="a-1", hostnames=("web-01",), ips=("192.0.2.5",), macs=(), vendor=None, serial="X",
                 model=None, device_type=None, os=None, first_seen=T, last_seen=T, sources=("s:arp",),
                 asset_tag=None, status=None, matched_by=None, system_uuid=None)


def test_a_duplicate_round_trips_and_keeps_its_nulls() -> None:
    assert duplicate_from_proto(duplicate_to_proto(DUPLICATE)) == DUPLICATE
    bare = replace(DUPLICATE, other_asset_id=None, hostname=None, other_hostname=None, records=(), first_seen=None,
                   last_seen=None)
    assert duplicate_from_proto(duplicate_to_proto(bare)) == bare


def test_a_decision_round_trips_standing_or_undone() -> None:
    assert decision_from_proto(decision_to_proto(DECISION)) == DECISION
    standing = replace(DECISION, undone_by=None, undone_at=None, state="applied")
    assert decision_from_proto(decision_to_proto(standing)) == standing


def test_an_explanation_round_trips() -> None:
    e = Explanation(asset=ASSET, members=(MemberRow("agent:a", "anchor", T, T, ("a:agent",), ("seen",)),
                                          MemberRow("mac:x", "manual", None, None, (), ())),
                    record="NC-1 (register snipeit, r.csv line 2, status Deployed)", record_key="serial",
                    decisions=(DECISION,), duplicates=(DUPLICATE,))
    assert explanation_from_proto(explanation_to_proto(e)) == e
    unmatched = replace(e, record=None, record_key=None, decisions=(), duplicates=())
    assert explanation_from_proto(explanation_to_proto(unmatched)) == unmatched

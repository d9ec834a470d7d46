"""Typed findings render as the JSON/CSV of the interface contract (DESIGN.md)."""

from __future__ import annotations

import json

from collector.output import to_csv, to_json
from tests.collector.wire.test_query import FINDING


def test_finding_json_keys_are_the_fields_in_order_with_evidence_objects_and_utc_times() -> None:
    (row,) = json.loads(to_json([FINDING]))
    assert list(row) == [
        "finding_id", "kind", "severity", "asset_id", "hostname", "ip", "mac", "serial", "asset_tag", "status",
        "status_class", "rule_id", "software_name", "software_version", "first_seen", "last_seen", "evidence",
        "summary", "suppressed", "suppression", "register", "record_key", "opened_at", "resolved_at"]
    assert row["first_seen"] == "2026-11-02T09:30:15.123456Z" and row["resolved_at"] is None
    assert row["evidence"][0] == {"source": "agent-1", "method": "agent", "seen_at": "2026-11-02T09:30:15.123456Z",
                                  "detail": "teamviewer 15.2 (deb package); agent report"}
    assert row["evidence"][1]["seen_at"] is None


def test_finding_csv_writes_evidence_as_json_and_booleans_as_words() -> None:
    header, line = to_csv([FINDING], ["kind", "evidence", "suppressed"]).splitlines()
    assert header == "kind,evidence,suppressed"
    assert line.startswith('unauthorised-software,"[{""source"": ""agent-1""') and line.endswith(",true")

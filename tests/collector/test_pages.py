"""The printed forms of `netcensus asset` and `netcensus changes` (collector/pages.py): long lists are
summarised on the page and kept whole in JSON and CSV; the JSON round trip keeps every field."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from collector.domain.findings import AssetRow
from collector.domain.history import (
    AssetChange,
    AssetDetail,
    Changes,
    FindingBrief,
    InstalledSoftware,
    SoftwareChange,
    SoftwareCounts,
)
from collector.pages import (
    ASSET_CHANGES_SHOWN,
    CHANGE_COLUMNS,
    SOFTWARE_SHOWN,
    asset_page,
    changes_csv,
    changes_page,
    document,
    document_json,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
ASSET = AssetRow(asset_id="a-1", hostnames=("pc-1",), ips=("192.0.2.1",), macs=(), vendor=None, serial=None,
                 model=None, device_type=None, os=None, first_seen=NOW, last_seen=NOW,
                 sources=("0f1e2d3c-0000-4000-8000-000000000001:agent",), asset_tag=None, status=None,
                 matched_by=None, system_uuid=None)


def detail(packages: int) -> AssetDetail:
    flagged = FindingBrief("f-1", "vulnerable-software", "high", "pkg-099 is vulnerable", None, "pkg-099", "1.0",
                           NOW, NOW, False, None)
    software = tuple(InstalledSoftware(f"pkg-{i:03d}", "1.0", "amd64", "deb", None, None, NOW, NOW,
                                       ("f-1",) if i == 99 else ()) for i in range(packages))
    return AssetDetail(asset=ASSET, subjects=(), record=None, comparison=(), identifiers=(), software=software,
                       findings=(flagged,), timeline=(), decisions=(), duplicates=())


def test_the_asset_page_lists_flagged_packages_then_a_few_and_says_how_many_are_left() -> None:
    page = asset_page(document(detail(100)))
    listed = [line.split()[0] for line in page.splitlines() if line.startswith("  pkg-")]
    assert listed[0] == "pkg-099" and len(listed) == 1 + SOFTWARE_SHOWN
    assert f"… and {100 - 1 - SOFTWARE_SHOWN} more packages" in page
    assert len([line for line in asset_page(document(detail(100)), all_software=True).splitlines()
                if line.startswith("  pkg-")]) == 100
    assert "0f1e2d3c (agent)" in page  # a source's UUID is cut on the page ...
    assert "0f1e2d3c-0000-4000-8000-000000000001:agent" in document_json(detail(1))  # ... and whole in JSON


def changes(appeared: int) -> Changes:
    assets = tuple(AssetChange("appeared", f"a-{i}", f"pc-{i}", None, None, NOW, NOW, "first seen")
                   for i in range(appeared))
    gone = AssetChange("disappeared", "a-x", "=cmd|' /C calc'!A0", None, None, NOW, NOW - timedelta(days=2),
                       "a sweep did not see it")
    software = (SoftwareChange("upgraded", "a-1", "pc-1", "openssl", "amd64", "deb", "3.0.11-1", "3.0.13-1", NOW,
                               None),)
    counts = SoftwareCounts("a-1", "pc-1", 0, 0, 1, 0, 0, 0)
    return Changes(since=NOW - timedelta(days=1), until=NOW, assets=(*assets, gone), software=software,
                   software_per_asset=(counts,), software_totals=SoftwareCounts(None, None, 0, 0, 1, 0, 0, 0),
                   findings=())


def test_changes_page_caps_each_kind_and_csv_keeps_every_row_flat_and_safe() -> None:
    doc = document(changes(ASSET_CHANGES_SHOWN + 4))
    page = changes_page(doc)
    assert "… and 4 more appeared" in page and "disappeared" in page
    assert page.splitlines()[-1].startswith(f"assets: {ASSET_CHANGES_SHOWN + 4} appeared, 1 disappeared; "
                                            "software: 1 upgraded on 1 assets")
    rows = list(csv.DictReader(io.StringIO(changes_csv(doc))))
    assert list(rows[0]) == list(CHANGE_COLUMNS) and len(rows) == ASSET_CHANGES_SHOWN + 4 + 1 + 1
    assert [r["hostname"] for r in rows if r["change"] == "disappeared"] == ["'=cmd|' /C calc'!A0"]
    upgraded = next(r for r in rows if r["section"] == "software")
    assert (upgraded["from_version"], upgraded["to_version"]) == ("3.0.11-1", "3.0.13-1")
    assert json.loads(document_json(changes(1)))["software_totals"]["upgraded"] == 1

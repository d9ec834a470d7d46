"""`netcensus asset REF`: one asset's page from a refresh and what a real DuckDB file kept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from collector.domain.model import RecordedAsset
from collector.errors import UsageError
from collector.inventory.detail import asset_detail
from collector.inventory.refresh import Snapshot, refresh
from collector.store.duckdb import Store
from tests.collector.inventory.manual_estate import sight
from tests.collector.inventory.test_changes import D, finding
from tests.collector.store.test_deltas import OK, SOURCE, SUBJECT, T0, snapshot, store_all

MAC = "00:1b:21:cc:00:01"
NOW = T0 + 2 * D


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "nc.duckdb")
    yield s
    s.close()


def estate(store: Store) -> None:
    """pc-1's agent (serial, MAC, model, software) and a scanner that saw its MAC at two addresses."""
    software = [("openssl", "3.0.11-1~deb12u2", "deb"), ("bash", "5.2.15-2", "deb"), ("zsh", "5.9-4", "deb")]
    store_all(store, snapshot(1, T0, software, {"deb": OK}))
    sight(store,
          {"subject": SUBJECT, "source_id": SOURCE, "method": "agent", "seen_at": T0 + D, "hostname": "pc-1",
           "serial": "SN-PC1", "macs": [MAC], "ips": ["192.0.2.20"], "model": "Dell Latitude 7440"},
          {"subject": f"mac:{MAC}", "method": "arp", "seen_at": T0 + 2 * D - timedelta(hours=5), "macs": [MAC],
           "ips": ["192.0.2.20"]},
          {"subject": f"mac:{MAC}", "method": "arp", "seen_at": T0 + 2 * D - timedelta(hours=1), "macs": [MAC],
           "ips": ["192.0.2.21"]})
    store.replace_register("snipeit", [RecordedAsset(
        record_key="NC-PC1", line=7, asset_tag="NC-PC1", name="pc-01", serial="SN-PC1", hostname="pc-01",
        macs=(MAC,), model="Latitude 7440", status="Deployed")], import_id="imp-1", filename="assets.csv",
        fmt="snipeit", sha256="x", now=T0)


def snap(store: Store) -> Snapshot:
    return refresh(store, now=NOW, ghost_after=timedelta(days=14), persist=False)


def test_the_page_has_identity_register_identifiers_software_findings_and_timeline(store: Store) -> None:
    estate(store)
    asset_id = snap(store).assets[0].asset_id
    vuln = finding("vulnerable-software", asset_id=asset_id, software_name="openssl",
                   software_version="3.0.11-1~deb12u2", opened_at=T0)
    posture = finding("firewall-off", asset_id=asset_id, software_name=None, software_version=None, opened_at=T0)
    store.persist_findings([vuln, posture], T0)
    store.persist_findings([vuln], T0 + D)                                   # the firewall came on
    store.persist_findings([vuln, replace(posture, opened_at=NOW)], NOW)     # and went off again

    page = asset_detail("NC-PC1", snap(store), store)

    assert page.asset.asset_id == asset_id and page.asset.hostnames[0] == "pc-1"
    assert sorted(m.key for m in page.subjects) == ["anchor", "mac"]
    assert page.record is not None and (page.record.line, page.record.filename) == (7, "assets.csv")
    states = {c.field: (c.recorded, c.observed, c.state) for c in page.comparison}
    assert states["hostname"] == ("pc-01", "pc-1", "differs")
    assert states["serial"] == ("SN-PC1", "SN-PC1", "same")
    assert states["model"] == ("Latitude 7440", "Dell Latitude 7440", "same")
    assert states["ip"][2] == "observed only"
    # Every address with first and last seen, per source.
    arp_ips = {(i.value, i.first_seen, i.last_seen) for i in page.identifiers if i.kind == "ip" and i.method == "arp"}
    assert arp_ips == {("192.0.2.20", NOW - timedelta(hours=5), NOW - timedelta(hours=5)),
                       ("192.0.2.21", NOW - timedelta(hours=1), NOW - timedelta(hours=1))}
    assert {(i.source, i.method) for i in page.identifiers if i.kind == "mac"} == {(SOURCE, "agent"),
                                                                                   ("scanner-1", "arp")}
    # Software with its dates, and the finding on the one package it is about.
    software = {s.name: s for s in page.software}
    assert set(software) == {"bash", "openssl", "zsh"}
    assert software["openssl"].findings == (vuln.finding_id,) and software["bash"].findings == ()
    assert software["openssl"].first_seen == T0
    assert {f.kind for f in page.findings} == {"vulnerable-software", "firewall-off"}
    assert [(e.event, e.kind) for e in page.timeline] == [
        ("opened", "firewall-off"), ("opened", "vulnerable-software"), ("resolved", "firewall-off"),
        ("reopened", "firewall-off")]


def test_a_ref_naming_several_assets_is_refused_with_the_candidates(store: Store) -> None:
    at = T0 + D
    sight(store, {"subject": "mac:00:1b:21:aa:00:01", "method": "arp", "seen_at": at, "macs": ["00:1b:21:aa:00:01"],
                  "ips": ["192.0.2.1"]},
          {"subject": "mac:00:1b:21:bb:00:09", "method": "snmp", "seen_at": at, "macs": ["00:1b:21:bb:00:09"],
           "ips": ["192.0.2.1"], "hostname": "isp-gw"})
    with pytest.raises(UsageError) as err:
        asset_detail("192.0.2.1", snap(store), store)
    text = str(err.value)
    assert "matches 2 assets" in text and "isp-gw" in text and "\n" not in text
    with pytest.raises(UsageError, match="no asset matches"):
        asset_detail("nothing-like-it", snap(store), store)


def test_a_failed_history_read_is_one_store_error_naming_the_file(tmp_path: Path) -> None:
    """The four history reads run at once; a failure in any of them is still the store's one-line error."""
    from collector.errors import StoreError

    s = Store.open(tmp_path / "nc.duckdb")
    s.write([("ALTER TABLE finding_events RENAME TO finding_events_gone", [])])
    with pytest.raises(StoreError, match=r"nc\.duckdb: reading the asset's history failed"):
        s.asset_history(["agent:x"], "a1")
    s.close()

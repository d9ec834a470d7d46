"""The live path (collector/inventory/live.py) against full refreshes, on real DuckDB files.

The property: after every report of a random sequence, the assets, their members and the findings
a live update stores equal what a full refresh stores at the same moment over the same reports
(findings' updated_at aside: a full refresh stamps every open row), and so do the per-day finding
counts of migration 012, the finding_events history (migration 011) and pending_update_since.
Agents also report security posture (judged by posture rules) and a Python package that an OSV
feed, imported mid-sequence, calls vulnerable. Reports are protobuf messages
through the real codec into Store.store_reports (what the ingest writer calls), drawn from small
pools of serials, MACs, host names and addresses so that they collide: agents that share a serial
(clones, impostors), ARP and SNMP sightings of the same MACs with L2 bindings, address-only nmap
sightings (IP-at-time), host names that move, software that comes and goes under deny, require and
licence rules, and a register that matches some of it.
"""

from __future__ import annotations

import os
import random
import textwrap
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from netcensus.v1 import report_pb2

from collector.domain.model import RecordedAsset, StatusClass
from collector.inventory.live import Change, LiveInventory, change_of
from collector.inventory.refresh import RuleEvaluator, Snapshot, one_asset, refresh
from collector.rules.bridge import SoftwareRules, load_software_rules
from collector.store.duckdb import Store
from collector.store.vulns_sql import VulnStore
from collector.vulns.bridge import with_vulnerabilities
from collector.vulns.importing import import_feed
from collector.wire.codec import decode_report

WINDOW = timedelta(days=14)
RULES = """
rules:
  - id: no-remote
    title: Remote access tool
    severity: high
    type: deny
    match: {name: ["teamviewer*"]}
  - id: edr
    title: Endpoint protection
    severity: medium
    type: require
    scope: {os: [linux]}
    match: {name: ["clamav"]}
  - id: visio
    title: Visio seats
    severity: low
    type: licence
    seats: 1
    match: {name: ["visio"]}
  - id: unpatched
    title: Security updates pending
    severity: high
    type: posture
    check: unpatched
  - id: firewall
    title: No host firewall active
    severity: medium
    type: posture
    check: firewall-off
  - id: rdp
    title: RDP listening
    severity: high
    type: posture
    check: remote-access-port-open
    ports: [3389/tcp]
  - id: epp
    title: No endpoint protection
    severity: high
    type: posture
    check: endpoint-protection-missing
    scope: {os: [windows]}
    match: {name: ["clamav"]}
"""
SOFTWARE = ["teamviewer", "clamav", "visio", "bash", "curl", "django"]
SECURITY = ("security_updates", "disk_encryption", "firewall", "endpoint_protection", "listening_ports")
OSV = Path(__file__).resolve().parents[2] / "data" / "vulns" / "osv"
FEED_AT = 4  # the report before which the vulnerability feed is imported
AGENTS = [str(uuid.UUID(int=i + 1)) for i in range(5)]
SCANNER = str(uuid.UUID(int=99))
MACS = [f"00:1b:21:00:00:{i:02x}" for i in range(1, 7)]
OWN_MACS = [f"00:25:90:00:00:{i:02x}" for i in range(1, 4)]
SERIALS = ["SN-A", "SN-B", "SN-C"]
HOSTS = ["pc-1", "pc-2", "pc-3", "sw-1"]
IPS = [f"192.0.2.{i}" for i in range(10, 16)]


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "r.yaml").write_text(textwrap.dedent(RULES), encoding="utf-8")
    return d


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    live, full = Store.open(tmp_path / "live.duckdb"), Store.open(tmp_path / "full.duckdb")
    yield live, full
    live.close()
    full.close()


def agent_report(rng: random.Random, seq: int, at: datetime) -> report_pb2.Report:
    source = rng.choice(AGENTS)
    r = report_pb2.Report(report_id=str(uuid.UUID(int=rng.getrandbits(128))), source_id=source, seq=seq,
                          software_version="test")
    r.created_at.FromDatetime(at)
    snap = r.host_snapshot
    snap.facts.hostname = rng.choice(HOSTS[:3])
    snap.facts.os.family = rng.choice(["linux", "windows"])
    if rng.random() < 0.7:
        snap.facts.hardware.serial = rng.choice(SERIALS)
    iface = snap.facts.interfaces.add(name="eth0", mac=rng.choice(MACS))
    iface.addresses.append(rng.choice(IPS) + "/24")
    for name in [*rng.sample(SOFTWARE[:-1], rng.randint(0, 4)), *(["django"] if rng.random() < 0.6 else [])]:
        if name == "django":  # vulnerable before 4.2.3 (tests/data/vulns/osv)
            version = rng.choice(["4.2.2", "4.2.2", "4.2.3"])
            snap.software.add(name=name, version=version, source="pip", purl=f"pkg:pypi/django@{version}")
        else:
            snap.software.add(name=name, version=rng.choice(["1.0-1", "2.0-1"]), arch="amd64", source="deb")
    snap.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK)
    snap.collectors.add(name="pip", state=report_pb2.COLLECTOR_STATE_OK)
    if rng.random() < 0.8:  # security posture, some of it unknown (a failed collector)
        sec = snap.facts.security
        for pkg in rng.sample(["openssl", "libexpat1"], rng.randint(0, 2)):
            sec.pending_security_updates.add(name=pkg, installed_version=rng.choice(["1.0", "1.1"]),
                                             available_version="2.0", suite="bookworm-security")
        sec.firewalls.add(name="nftables", enabled=True, active=rng.random() < 0.5, rules=3)
        sec.listening.add(protocol="tcp", address=rng.choice(["0.0.0.0", "127.0.0.1"]),
                          port=rng.choice([22, 3389]), process="svc")
        sec.root_encrypted = rng.random() < 0.5
        for name in SECURITY:
            snap.collectors.add(name=name, state=report_pb2.COLLECTOR_STATE_OK if rng.random() < 0.85
                                else report_pb2.COLLECTOR_STATE_FAILED)
    return r


def scan_report(rng: random.Random, seq: int, at: datetime) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.UUID(int=rng.getrandbits(128))), source_id=SCANNER, seq=seq,
                          software_version="test")
    r.created_at.FromDatetime(at)
    scan = r.scan
    scan.scan_id = f"sweep-{seq}"
    scan.targets.append("192.0.2.0/24")
    scan.methods.extend([report_pb2.METHOD_ARP, report_pb2.METHOD_SNMP, report_pb2.METHOD_NMAP])
    scan.started_at.FromDatetime(at - timedelta(minutes=1))
    scan.finished_at.FromDatetime(at)
    scan.complete = rng.random() < 0.7
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        obs = scan.observations.add(ip=rng.choice(IPS))
        obs.seen_at.FromDatetime(at - timedelta(seconds=rng.randint(1, 50)))
        if kind < 0.5:
            obs.method, obs.mac = report_pb2.METHOD_ARP, rng.choice(MACS)
        elif kind < 0.8:  # a device's SNMP agent, bound to the MAC that answered ARP for its address
            obs.method, obs.mac, obs.hostname = report_pb2.METHOD_SNMP, rng.choice(OWN_MACS), "sw-1"
            if rng.random() < 0.5:
                obs.serial = rng.choice(SERIALS)
            if rng.random() < 0.7:
                obs.l2_binding.mac, obs.l2_binding.learnt_by = rng.choice(MACS), "arp"
                obs.l2_binding.seen_at.FromDatetime(at - timedelta(seconds=55))
        else:  # nmap from afar: the address and nothing else
            obs.method = report_pb2.METHOD_NMAP
    return r


def background(rng: random.Random, at: datetime) -> report_pb2.Report:
    """A sweep of another subnet: machines no random report touches (the live path must leave their
    findings as a full refresh leaves them), seen at spread-out times so a short window ages them out."""
    r = report_pb2.Report(report_id=str(uuid.UUID(int=rng.getrandbits(128))), source_id=SCANNER, seq=1000,
                          software_version="test")
    r.created_at.FromDatetime(at)
    scan = r.scan
    scan.scan_id, scan.complete = "background", True
    scan.targets.append("198.51.100.0/24")
    scan.methods.extend([report_pb2.METHOD_ARP, report_pb2.METHOD_NMAP])
    scan.started_at.FromDatetime(at - timedelta(hours=4))
    scan.finished_at.FromDatetime(at)
    for i in range(1, 41):
        obs = scan.observations.add(ip=f"198.51.100.{i}")
        obs.seen_at.FromDatetime(at - timedelta(minutes=rng.randint(0, 240)))
        if i % 8 == 0:
            obs.method = report_pb2.METHOD_NMAP  # address only
        else:
            obs.method, obs.mac = report_pb2.METHOD_ARP, f"00:1b:21:01:00:{i:02x}"
            if i % 5 == 0:
                obs.hostname = f"bg-{i % 3}"  # a few names shared: possible duplicates
    return r


def register(store: Store, at: datetime) -> None:
    records = [
        RecordedAsset(record_key="T1", line=2, asset_tag="T1", serial="SN-A", hostname="pc-1",
                      status="Deployed", status_class=StatusClass.IN_USE),
        RecordedAsset(record_key="T2", line=3, asset_tag="T2", macs=(MACS[1],), ips=(IPS[1],),
                      status="Deployed", status_class=StatusClass.IN_USE),
        RecordedAsset(record_key="T3", line=4, asset_tag="T3", hostname="pc-3", status="Archived",
                      status_class=StatusClass.RETIRED),
        RecordedAsset(record_key="T4", line=5, asset_tag="T4", serial="SN-C", status="Ready to Deploy",
                      status_class=StatusClass.IN_STOCK),
        RecordedAsset(record_key="T5", line=6, asset_tag="T5", ips=(IPS[5],), status="Deployed",
                      status_class=StatusClass.IN_USE),
    ]
    records += [RecordedAsset(record_key=f"B{i}", line=10 + i, asset_tag=f"B{i}", ips=(f"198.51.100.{i}",),
                              macs=(f"00:1b:21:01:00:{i:02x}",) if i % 3 else (), status="Deployed",
                              status_class=StatusClass.IN_USE if i % 7 else StatusClass.RETIRED)
                for i in range(1, 50, 2)]
    store.replace_register("snipeit", records, import_id="i1", filename="r.csv", fmt="snipeit", sha256="x", now=at)


def state(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """The stored inventory, comparable across files."""
    return {
        "assets": [tuple(r.values()) for r in store.query("SELECT * FROM assets ORDER BY asset_id")],
        "members": [tuple(r.values()) for r in store.query("SELECT * FROM asset_members ORDER BY subject")],
        "findings": [tuple(r.values()) for r in store.query(
            "SELECT * EXCLUDE (updated_at) FROM findings ORDER BY finding_id")],
        "finding_days": [tuple(r.values()) for r in store.query("SELECT * FROM finding_days ORDER BY ALL")],
        "finding_events": [tuple(r.values()) for r in store.query("SELECT * FROM finding_events ORDER BY ALL")],
        "pending_update_since": [tuple(r.values()) for r in store.query(
            "SELECT * FROM pending_update_since ORDER BY ALL")],
    }


def differences(live: Store, full: Store) -> str:
    """The rows only one side stored, per table (the assertion message)."""
    a, b = state(live), state(full)
    out = []
    for table in a:
        out += [f"live only {table}: {row}" for row in a[table] if row not in b[table]][:4]
        out += [f"full only {table}: {row}" for row in b[table] if row not in a[table]][:4]
    return "\n".join(out)


def evaluator(rules: SoftwareRules, store: Store):  # type: ignore[no-untyped-def]
    """The rule step as the collector builds it: rule packs (posture included) and vulnerabilities."""
    return lambda only: with_vulnerabilities(store, rules.evaluator(store, only), only)


def whole(rules: SoftwareRules, store: Store) -> RuleEvaluator | None:
    return with_vulnerabilities(store, rules.evaluator(store))


def cut_of(snapshot: Snapshot, asset_id: str) -> Snapshot:
    """One asset of a whole Snapshot, found by scanning it (what the live cut must equal)."""
    asset = next(a for a in snapshot.assets if a.asset_id == asset_id)
    return one_asset(asset, [f for f in snapshot.facts if f.subject in asset.members], snapshot.records.get(asset_id),
                     snapshot.keys.get(asset_id), snapshot.duplicates, snapshot.decisions)


@pytest.mark.parametrize("seed", range(int(os.environ.get("NETCENSUS_LIVE_SEEDS", "6"))))
def test_live_updates_store_what_a_full_refresh_stores(stores: tuple[Store, Store], rules_dir: Path,
                                                        seed: int) -> None:
    live_store, full_store = stores
    rng = random.Random(seed)
    rules = load_software_rules([rules_dir])
    assert rules is not None
    # Some sequences cross midnight: the live path then re-evaluates every rule (exceptions expire by date).
    t = datetime(2026, 11, 2, 23 if seed % 2 else 9, 0, tzinfo=UTC)
    # A short window on some sequences: machines and sweeps age out of it while the reports arrive.
    window = WINDOW if seed % 3 else timedelta(hours=3)
    bg = background(rng, t)
    for s in stores:
        register(s, t - timedelta(days=1))
        assert s.store_reports([decode_report(bg, t)], t).stored
    live = LiveInventory(live_store, ghost_after=window, rules_for=evaluator(rules, live_store))
    live.rebuild(t)
    refresh(full_store, now=t, ghost_after=window, rules=whole(rules, full_store))
    assert state(live_store) == state(full_store)
    scoped = False  # some update reconciled a strict subset (else the test proves less than it claims)
    for seq in range(1, 13):
        t += timedelta(minutes=rng.randint(5, 20))
        report = (agent_report if rng.random() < 0.55 else scan_report)(rng, seq, t)
        stored_at = t + timedelta(seconds=30)
        decoded = decode_report(report, stored_at)
        for s in stores:
            assert s.store_reports([decode_report(report, stored_at)], stored_at).stored
            if seq == FEED_AT:
                import_feed(VulnStore(s), OSV, source=None, now=stored_at)
        now = t + timedelta(minutes=1)
        stats = live.update(change_of([decoded]) | Change(rules=seq == FEED_AT), now)
        full = refresh(full_store, now=now, ghost_after=window, rules=whole(rules, full_store))
        mine = live.snapshot()  # what the Query service answers
        assert [a.asset_id for a in mine.assets] == [a.asset_id for a in full.assets]
        assert mine.findings == full.findings and mine.keys == full.keys
        for a in full.assets:  # the asset page's cut of the live state is the full refresh's, asset by asset
            assert live.asset_cut(a.asset_id) == cut_of(full, a.asset_id), f"seed {seed}, report {seq}: {a.asset_id}"
        assert state(live_store) == state(full_store), f"seed {seed}, report {seq}: " + differences(live_store,
                                                                                                   full_store)
        scoped |= not stats.full and stats.phases[1][0].startswith("reconcile (") and \
            int(stats.phases[1][0].split("(")[1].split()[0]) < len(live.snapshot().assets)
    assert live.snapshot().findings, "the sequence raised no finding: the comparison proved little"
    # Every kind of finding the sequence ever opened, from the history both sides wrote alike.
    kinds = {r["kind"] for r in live_store.query("SELECT DISTINCT kind FROM finding_events")}
    assert kinds & {"unpatched", "firewall-off", "remote-access-port-open", "endpoint-protection-missing"}, kinds
    # The vulnerability step ran on the live side: a vulnerable install stored now is a finding now.
    vulnerable = {r["asset_id"] for r in live_store.query(
        "SELECT asset_id FROM software WHERE name = 'django' AND version = '4.2.2'")}
    assert vulnerable == {f.asset_id for f in live.snapshot().findings if f.kind == "vulnerable-software"}
    assert scoped, "no update reconciled a subset: the scope was never exercised"


def test_a_tick_without_reports_moves_findings_with_the_clock(stores: tuple[Store, Store]) -> None:
    """Time alone changes verdicts (the ghost window): an update that names nothing still reconciles."""
    live_store, full_store = stores
    t = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    rng = random.Random(3)
    report = scan_report(rng, 1, t)
    report.scan.complete = True
    for s in stores:
        register(s, t - timedelta(days=1))
        s.store_reports([decode_report(report, t)], t)
    live = LiveInventory(live_store, ghost_after=WINDOW, rules_for=None)
    live.rebuild(t + timedelta(minutes=1))
    refresh(full_store, now=t + timedelta(minutes=1), ghost_after=WINDOW)
    before = {f.kind for f in live.snapshot().findings}
    later = t + WINDOW + timedelta(days=1)
    live.update(Change(), later)
    refresh(full_store, now=later, ghost_after=WINDOW)
    assert state(live_store) == state(full_store)
    assert "zombie" in before and "zombie" not in {f.kind for f in live.snapshot().findings}

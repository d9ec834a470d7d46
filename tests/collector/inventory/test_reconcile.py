"""Reconciliation verdicts, one table row per situation (pure: no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.inventory.identity import SubjectFacts, resolve
from collector.inventory.reconcile import Coverage, Record, reconcile

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def record(tag: str, status_class: str = "in-use", *, serial: str = "", hostname: str = "", macs: tuple[str, ...] = (),
           ips: tuple[str, ...] = (), model: str = "", status: str = "") -> Record:
    return Record(register="snipeit", record_key=tag, line=2, asset_tag=tag, name=tag, serial=serial,
                  hostname=hostname, macs=macs, ips=ips, model=model,
                  status=status or {"in-use": "Deployed", "in-stock": "Ready to Deploy", "retired": "Archived",
                                    "lost": "Lost/Stolen"}[status_class],
                  status_class=status_class, assigned_to="", filename="r.csv", imported_at=NOW - 30 * DAY)


def seen(name: str, ago: timedelta, **kw: object) -> SubjectFacts:
    lists = {k: (v,) for k, v in kw.items() if k in ("hostnames", "ips", "macs", "serials", "uuids")}
    rest = {k: v for k, v in kw.items() if k not in lists}
    evidence = (("scanner-1", "arp", NOW - ago, f"arp saw {name}"),)
    return SubjectFacts(subject=name, first_seen=NOW - ago - DAY, last_seen=NOW - ago, evidence=evidence,
                        **lists, **rest)  # type: ignore[arg-type]


def behind_port(i: int) -> SubjectFacts:
    """A host the core switch's forwarding table lists on its uplink port (snmp-fdb)."""
    mac = f"00:1b:21:01:{i >> 8:02x}:{i & 255:02x}"
    return SubjectFacts(subject=f"mac:{mac}", first_seen=NOW - DAY, last_seen=NOW - timedelta(hours=1), macs=(mac,),
                        evidence=(("scanner-1", "snmp-fdb", NOW - timedelta(hours=1),
                                   f"({mac}) in the forwarding table of sw-core-1 port Gi1/0/24 vlan 10"),))


SWEEP = Coverage(source="scanner-1", method="scan:arp", at=NOW - timedelta(hours=2), networks=("192.0.2.0/24",),
                 detail="sweep of 192.0.2.0/24 by scanner-1")
# The first sweep of the subnet, long enough ago that a never-seen record has been unseen past 14 days.
FIRST_SWEEP = Coverage(source="scanner-1", method="scan:arp", at=NOW - 20 * DAY, networks=("192.0.2.0/24",),
                       detail="sweep of 192.0.2.0/24 by scanner-1")

CASES = {
    "in-use, seen recently: no finding": (
        [seen("agent:a", timedelta(hours=1), serials="SN1")], [record("NC-1", serial="SN1")], [SWEEP], 14, []),
    "in-use, never seen, subnet swept for 20 days: ghost": (
        [], [record("NC-1", ips=("192.0.2.40",))], [SWEEP, FIRST_SWEEP], 14, [("ghost", "medium", "NC-1")]),
    "in-use, never seen, subnet first swept 2 hours ago: not yet a ghost at 14d": (
        [], [record("NC-1", ips=("192.0.2.40",))], [SWEEP], 14, []),
    "in-use, never seen, subnet first swept 2 hours ago: a ghost at 0 (first audit)": (
        [], [record("NC-1", ips=("192.0.2.40",))], [SWEEP], 0, [("ghost", "medium", "NC-1")]),
    "in-use, last seen 3 days ago, swept since: a ghost at 0": (
        [seen("mac:00:1b:21:00:00:01", 3 * DAY, macs="00:1b:21:00:00:01", ips="192.0.2.40")],
        [record("NC-1", macs=("00:1b:21:00:00:01",), ips=("192.0.2.40",))], [SWEEP], 0,
        [("ghost", "medium", "NC-1")]),
    "ghost-after 0: another machine's agent reporting after it is no proof of absence": (
        [seen("mac:00:1b:21:00:00:01", 3 * DAY, macs="00:1b:21:00:00:01", ips="192.0.2.40")],
        [record("NC-1", macs=("00:1b:21:00:00:01",), ips=("192.0.2.40",))],
        [Coverage("agent-9", "agent", NOW - DAY, ("192.0.2.0/24",), "the agent on pc-9")], 0, []),
    "ghost-after 0: the sweep that saw it (began before the sighting) is no proof of absence": (
        [seen("mac:00:1b:21:00:00:01", timedelta(hours=2, minutes=5), macs="00:1b:21:00:00:01", ips="192.0.2.40")],
        [record("NC-1", macs=("00:1b:21:00:00:01",), ips=("192.0.2.40",))],
        [Coverage("scanner-1", "scan:arp", NOW - timedelta(hours=2), ("192.0.2.0/24",), "sweep",
                  started=NOW - timedelta(hours=2, minutes=10))], 0, []),
    "in-use, never seen, subnet NOT swept: no verdict": (
        [], [record("NC-1", ips=("198.51.100.40",))], [SWEEP], 14, []),
    "in-use, no address, sources ran for 20 days: ghost": (
        [], [record("NC-1")], [SWEEP, FIRST_SWEEP], 14, [("ghost", "medium", "NC-1")]),
    "in-use, last seen 20 days ago, swept since: ghost": (
        [seen("mac:00:1b:21:00:00:01", 20 * DAY, macs="00:1b:21:00:00:01", ips="192.0.2.40")],
        [record("NC-1", macs=("00:1b:21:00:00:01",), ips=("192.0.2.40",))], [SWEEP], 14,
        [("ghost", "medium", "NC-1")]),
    "in-use, last seen 3 days ago, 14d window: not yet a ghost": (
        [seen("mac:00:1b:21:00:00:01", 3 * DAY, macs="00:1b:21:00:00:01", ips="192.0.2.40")],
        [record("NC-1", macs=("00:1b:21:00:00:01",), ips=("192.0.2.40",))], [SWEEP], 14, []),
    "sweep older than the window does not count": (
        [], [record("NC-1", ips=("192.0.2.40",))],
        [Coverage("s", "scan:arp", NOW - 30 * DAY, ("192.0.2.0/24",), "old sweep")], 14, []),
    "seen, unrecorded: zombie medium": (
        [seen("mac:00:1b:21:00:00:09", timedelta(hours=1), macs="00:1b:21:00:00:09")], [], [SWEEP], 14,
        [("zombie", "medium", None)]),
    "retired but seen: zombie high": (
        [seen("mac:00:1e:c9:00:00:03", timedelta(hours=1), macs="00:1e:c9:00:00:03")],
        [record("NC-3", "retired", macs=("00:1e:c9:00:00:03",))], [SWEEP], 14, [("zombie", "high", "NC-3")]),
    "lost/stolen but seen: zombie critical": (
        [seen("agent:m", timedelta(hours=1), serials="C02G7XYZMD6R")],
        [record("NC-2", "lost", serial="C02G7XYZMD6R")], [SWEEP], 14, [("zombie", "critical", "NC-2")]),
    "retired and unseen: fine": ([], [record("NC-3", "retired", ips=("192.0.2.3",))], [SWEEP], 14, []),
    "spare in stock but active: mismatch medium": (
        [seen("mac:00:80:77:00:00:04", timedelta(hours=1), macs="00:80:77:00:00:04")],
        [record("NC-4", "in-stock", macs=("00:80:77:00:00:04",))], [SWEEP], 14, [("mismatch", "medium", "NC-4")]),
    "typo'd MAC in the register: matched by serial, MAC mismatch low": (
        [seen("agent:a", timedelta(hours=1), serials="SN1", macs="00:1b:21:00:00:01")],
        [record("NC-1", serial="SN1", macs=("00:1b:21:00:00:10",))], [SWEEP], 14, [("mismatch", "low", "NC-1")]),
    "one record, two observed assets with its hostname: duplicate": (
        [seen("agent:a", timedelta(hours=1), hostnames="dup-01", serials="SN-A"),
         seen("agent:b", timedelta(hours=2), hostnames="dup-01", serials="SN-B")],
        [record("NC-9", hostname="dup-01")], [SWEEP], 14,
        [("possible-duplicate", "medium", None), ("zombie", "medium", None)]),
    "two records, one asset: duplicate": (
        [seen("agent:a", timedelta(hours=1), serials="SN1", hostnames="pc-1")],
        [record("NC-1", serial="SN1"), record("NC-7", hostname="pc-1")], [SWEEP], 14,
        [("possible-duplicate", "medium", "NC-1")]),
    "ghost-after 0: never-seen in-use record is a ghost once anything ran": (
        [], [record("NC-1")], [Coverage("s", "agent", NOW - 40 * DAY, (), "old agent run")], 0,
        [("ghost", "medium", "NC-1")]),
    "cloned UUID on two VMs alive together: one identity conflict naming both (and two unrecorded VMs)": (
        [seen("agent:vm1", timedelta(hours=1), uuids="4c4c4544-0031", macs="00:50:56:00:00:01"),
         seen("agent:vm2", timedelta(hours=2), uuids="4c4c4544-0031", macs="00:50:56:00:00:02")],
        [], [SWEEP], 14, [("identity-conflict", "high", None), ("zombie", "medium", None), ("zombie", "medium", None)]),
    "cloned serial on two recorded VMs: identity conflict, both records matched": (
        [seen("agent:vm1", timedelta(hours=1), serials="VMware-56 4d", hostnames="app-01", macs="00:50:56:00:00:01"),
         seen("agent:vm2", timedelta(hours=2), serials="VMware-56 4d", hostnames="app-02", macs="00:50:56:00:00:02")],
        [record("NC-1", hostname="app-01"), record("NC-2", macs=("00:50:56:00:00:02",))], [SWEEP], 14,
        [("identity-conflict", "high", None)]),
    "switch reporting hundreds of MACs on one port: separate hosts, no finding about the port": (
        [*(behind_port(i) for i in range(300)),
         seen("serial:FOC1234X0AB", timedelta(hours=1), serials="FOC1234X0AB", hostnames="sw-core-1")],
        [record("NC-8", serial="FOC1234X0AB")], [SWEEP], 14, [("zombie", "medium", None)] * 300),
    "address-only sighting of a known machine's IP is not a zombie": (
        [seen("agent:a", timedelta(hours=1), serials="SN1", ips="192.0.2.10"),
         seen("ip:192.0.2.10", timedelta(hours=1), ips="192.0.2.10")],
        [record("NC-1", serial="SN1")], [SWEEP], 14, []),
}


@pytest.mark.parametrize(("facts", "records", "coverage", "days", "expected"), list(CASES.values()), ids=list(CASES))
def test_verdicts(facts, records, coverage, days, expected) -> None:
    findings, _ = reconcile(resolve(facts), records, coverage, now=NOW, ghost_after=timedelta(days=days))
    got = sorted((f.kind, f.severity, f.record.asset_tag if f.record else None) for f in findings)
    assert got == sorted(expected)
    for f in findings:
        assert f.summary.endswith(".")
        assert f.evidence, f
        assert f.finding_id.startswith("f-")


def test_finding_ids_are_stable_across_runs() -> None:
    args = ([], [record("NC-1")], [SWEEP])
    a, _ = reconcile(*args, now=NOW, ghost_after=timedelta(days=14))
    b, _ = reconcile(*args, now=NOW + DAY, ghost_after=timedelta(days=14))
    assert [f.finding_id for f in a] == [f.finding_id for f in b]


def test_identity_conflict_finding_names_both_assets_and_the_identifier() -> None:
    assets = resolve([seen("agent:vm1", timedelta(hours=1), uuids="4c4c4544-0031", macs="00:50:56:00:00:01"),
                      seen("agent:vm2", timedelta(hours=2), uuids="4c4c4544-0031", macs="00:50:56:00:00:02")])
    findings, _ = reconcile(assets, [], [SWEEP], now=NOW, ghost_after=timedelta(days=14))
    (conflict,) = [f for f in findings if f.kind == "identity-conflict"]
    assert conflict.identifier.startswith("uuid:4c4c4544-0031")
    assert "4c4c4544-0031" in conflict.summary and all(a.asset_id in conflict.summary for a in assets)
    assert len(conflict.evidence) == 2
    again, _ = reconcile(list(reversed(assets)), [], [SWEEP], now=NOW + DAY, ghost_after=timedelta(days=14))
    assert conflict.finding_id in {f.finding_id for f in again}


def test_hosts_behind_one_switch_port_keep_the_port_in_evidence() -> None:
    findings, _ = reconcile(resolve([behind_port(i) for i in range(300)]), [], [SWEEP], now=NOW,
                            ghost_after=timedelta(days=14))
    assert len(findings) == 300
    assert all("sw-core-1 port Gi1/0/24" in f.evidence[0].detail for f in findings)

"""Possible duplicates: each strong signal, and the near-misses that must not be reported (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.inventory.duplicates import POSSIBLE_DUPLICATE, find_duplicates
from collector.inventory.identity import SharedIdentifier, SubjectFacts, resolve
from collector.inventory.reconcile import Coverage, Record, reconcile

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
H = timedelta(hours=1)
DAY = timedelta(days=1)
SWEEP = Coverage("scanner-1", "scan:arp", NOW - H, ("192.0.2.0/24",), "sweep of 192.0.2.0/24")


def seen(subject: str, last: timedelta, life: timedelta = DAY, **kw: object) -> SubjectFacts:
    """A subject last seen `last` ago, first seen `life` before that; identifier lists given as one value."""
    lists = {k: (v,) for k, v in kw.items() if k in ("hostnames", "ips", "macs", "serials", "uuids")}
    rest = {k: v for k, v in kw.items() if k not in lists}
    return SubjectFacts(subject=subject, first_seen=NOW - last - life, last_seen=NOW - last,
                        evidence=(("scanner-1", "arp", NOW - last, f"arp saw {subject}"),),
                        **lists, **rest)  # type: ignore[arg-type]


def record(tag: str, *, hostname: str = "", macs: tuple[str, ...] = (), serial: str = "") -> Record:
    return Record(register="snipeit", record_key=tag, line=2, asset_tag=tag, name=tag, serial=serial,
                  hostname=hostname, macs=macs, ips=(), model="", status="Deployed", status_class="in-use",
                  assigned_to="", filename="r.csv", imported_at=NOW - 30 * DAY)


# name: (subjects, records, window in days, expected [(sorted signals, subjects of each asset in the pair)])
CASES: dict[str, tuple[list[SubjectFacts], list[Record], int, list[tuple[tuple[str, ...], int]]]] = {
    "same host name, both alive together (two agents, different serials)": (
        [seen("agent:a", H, hostnames="web-01", serials="SN-A"), seen("agent:b", 2 * H, hostnames="web-01",
                                                                     serials="SN-B")],
        [], 14, [(("hostname",), 2)]),
    "same sysName on two SNMP sightings with different chassis serials": (
        [seen("serial:FOC1", H, hostnames="isp-gw", serials="FOC1"),
         seen("serial:FOC2", H, hostnames="isp-gw", serials="FOC2")], [], 14, [(("hostname",), 2)]),
    "one system UUID on two assets with different serials": (
        [seen("mac:00:1b:21:00:00:01", H, serials="SN-A", uuids="4c4c4544-0042", macs="00:1b:21:00:00:01"),
         seen("mac:00:1b:21:00:00:02", H, serials="SN-B", uuids="4c4c4544-0042", macs="00:1b:21:00:00:02")],
        [], 14, [(("uuid",), 2)]),
    "one register record matched by two assets (its two MACs)": (
        [seen("mac:00:1b:21:00:00:01", H, macs="00:1b:21:00:00:01", serials="SN-A"),
         seen("mac:00:1b:21:00:00:02", H, macs="00:1b:21:00:00:02", serials="SN-B")],
        [record("NC-1", macs=("00:1b:21:00:00:01", "00:1b:21:00:00:02"))], 14, [(("record",), 2)]),
    "one record by host name, and the host name itself: one pair, both reasons": (
        [seen("agent:a", H, hostnames="dup-01", serials="SN-A"), seen("agent:b", 2 * H, hostnames="dup-01",
                                                                     serials="SN-B")],
        [record("NC-9", hostname="dup-01")], 14, [(("hostname", "record"), 2)]),
    "two register records on one asset": (
        [seen("agent:a", H, serials="SN1", hostnames="pc-1")],
        [record("NC-1", serial="SN1"), record("NC-7", hostname="pc-1")], 14, [(("records",), 1)]),
    # near-misses
    "same host name, the old machine fell silent before the new one came (a replacement)": (
        [seen("agent:old", 20 * DAY, 10 * DAY, hostnames="web-01", serials="SN-A"),
         seen("agent:new", H, 5 * DAY, hostnames="web-01", serials="SN-B")], [], 30, []),
    "placeholder host name on two machines": (
        [seen("agent:a", H, hostnames="localhost", serials="SN-A"),
         seen("agent:b", H, hostnames="localhost", serials="SN-B")], [], 14, []),
    "a template name on more machines than max_share": (
        [seen(f"agent:{n}", H, hostnames="kiosk", serials=f"SN-{n}") for n in range(9)], [], 14, []),
    "a VRRP virtual MAC on two routers": (
        [seen("serial:R1", H, serials="R1", macs="00:00:5e:00:01:01", hostnames="rtr-a"),
         seen("serial:R2", H, serials="R2", macs="00:00:5e:00:01:01", hostnames="rtr-b")], [], 14, []),
    "DHCP churn: one address, two machines, at different times": (
        [seen("mac:00:1b:21:00:00:01", 3 * DAY, H, macs="00:1b:21:00:00:01", ips="192.0.2.50"),
         seen("mac:00:1b:21:00:00:02", H, H, macs="00:1b:21:00:00:02", ips="192.0.2.50")], [], 14, []),
    "a cloned UUID on two agents alive together is an identity conflict, not also a duplicate": (
        [seen("agent:vm1", H, uuids="4c4c4544-0031", macs="00:50:56:00:00:01", hostnames="app"),
         seen("agent:vm2", 2 * H, uuids="4c4c4544-0031", macs="00:50:56:00:00:02", hostnames="app")], [], 14, []),
    "both seen last outside the window": (
        [seen("agent:a", 30 * DAY, hostnames="web-01", serials="SN-A"),
         seen("agent:b", 30 * DAY, hostnames="web-01", serials="SN-B")], [], 14, []),
    "one machine seen by agent and ARP is one asset: nothing to report": (
        [seen("agent:a", H, hostnames="pc-1", serials="SN1", macs="00:1b:21:00:00:01"),
         seen("mac:00:1b:21:00:00:01", H, macs="00:1b:21:00:00:01")], [record("NC-1", serial="SN1")], 14, []),
}


@pytest.mark.parametrize(("facts", "records", "days", "expected"), list(CASES.values()), ids=list(CASES))
def test_detection(facts: list[SubjectFacts], records: list[Record], days: int,
                   expected: list[tuple[tuple[str, ...], int]]) -> None:
    findings, _ = reconcile(resolve(facts), records, [SWEEP], now=NOW, ghost_after=timedelta(days=days))
    found = [f for f in findings if f.kind == POSSIBLE_DUPLICATE]
    assert sorted((tuple(sorted(f.duplicate.signals)), len(f.duplicate.assets)) for f in found if f.duplicate) \
        == sorted(expected)
    for f in found:
        assert f.severity == "medium" and f.evidence and f.summary.endswith(".")
        assert all(a.asset_id in f.summary for a in f.duplicate.assets)  # type: ignore[union-attr]
    assert not [f for f in findings if f.kind == "duplicate"]  # one concept, one kind


def test_same_serial_on_two_assets_is_reported_with_the_serial() -> None:
    """A serial identity resolution left on two assets (its SharedIdentifier) is a signal with its value."""
    a, b = resolve([seen("agent:a", H, hostnames="a", macs="00:1b:21:00:00:01"),
                    seen("agent:b", H, hostnames="b", macs="00:1b:21:00:00:02")])
    shared = SharedIdentifier("serial", "CZC1234XYZ", tuple(sorted((a.asset_id, b.asset_id))))
    a.shared.append(shared)
    b.shared.append(shared)
    (d,) = find_duplicates([a, b], [], [], {}, active=lambda _: True)
    assert d.signals == ("serial",) and "serial number CZC1234XYZ" in d.why


def test_a_pair_a_person_split_apart_is_not_reported() -> None:
    a, b = resolve([seen("agent:a", H, hostnames="web-01", serials="SN-A"),
                    seen("agent:b", H, hostnames="web-01", serials="SN-B")])
    assert find_duplicates([a, b], [], [], {"web-01": [a, b]}, active=lambda _: True)
    assert find_duplicates([a, b], [], [], {"web-01": [a, b]}, active=lambda _: True,
                           apart=frozenset({frozenset((a.asset_id, b.asset_id))})) == []


def test_finding_id_is_stable_whatever_the_order() -> None:
    facts = [seen("agent:a", H, hostnames="web-01", serials="SN-A"), seen("agent:b", H, hostnames="web-01",
                                                                         serials="SN-B")]
    ids = []
    for order in (facts, list(reversed(facts))):
        findings, _ = reconcile(resolve(order), [], [SWEEP], now=NOW, ghost_after=14 * DAY)
        ids.append([f.finding_id for f in findings if f.kind == POSSIBLE_DUPLICATE])
    assert ids[0] == ids[1] and len(ids[0]) == 1

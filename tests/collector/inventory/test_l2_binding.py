"""Identity rule 3, the L2 binding, table-driven (pure: no I/O); the codec's side of it with real messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from netcensus.v1 import report_pb2

from collector.inventory.identity import L2_BINDING, SubjectFacts, resolve
from collector.wire.codec import decode_report

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def subject(name: str, day: float = 0, **kw: object) -> SubjectFacts:
    lists = {k: tuple(v) if isinstance(v, (list, tuple)) else (v,) for k, v in kw.items()}
    return SubjectFacts(subject=name, first_seen=T0 + timedelta(days=day), last_seen=T0 + timedelta(days=day, hours=1),
                        **lists)  # type: ignore[arg-type]


ARP = "00:1b:21:0a:00:10"

# name -> (subjects, expected groups, subjects expected to be joined by the l2-binding key)
CASES = {
    "SNMP sighting keyed by its interface MACs joins the ARP MAC it was bound to": (
        [subject(f"mac:{ARP}", macs=ARP, ips="192.0.2.10"),
         subject("mac:00:80:77:0b:10:01", macs=["00:80:77:0b:10:01", "00:80:77:0b:10:02"], hostnames="sw-10",
                 ips="192.0.2.10", bound_macs=ARP)],
        [[f"mac:{ARP}", "mac:00:80:77:0b:10:01"]], ["mac:00:80:77:0b:10:01"]),
    "SNMP sighting with nothing of its own (l2 subject) joins its ARP MAC": (
        [subject(f"mac:{ARP}", macs=ARP, ips="192.0.2.10"),
         subject(f"l2:{ARP}", 0.1, hostnames="isp-gw", ips="192.0.2.10", bound_macs=ARP)],
        [[f"l2:{ARP}", f"mac:{ARP}"]], [f"l2:{ARP}"]),
    "the binding joins the agent that owns the MAC too": (
        [subject("agent:gw", macs=ARP, serials="SN-GW", hostnames="gw"),
         subject("mac:00:80:77:0b:10:01", 0.1, macs="00:80:77:0b:10:01", hostnames="gw-snmp", bound_macs=ARP)],
        [["agent:gw", "mac:00:80:77:0b:10:01"]], ["mac:00:80:77:0b:10:01"]),
    "different serials never join, binding or not": (
        [subject("agent:pc", macs=ARP, serials="SN-A"),
         subject("serial:SN-B", serials="SN-B", hostnames="other", bound_macs=ARP)],
        [["agent:pc"], ["serial:SN-B"]], []),
    "two sightings bound to one MAC that nothing else carries are one responder": (
        [subject("serial:SN-1", serials="SN-1", bound_macs=ARP),
         subject("mac:00:80:77:0b:10:01", 0.1, macs="00:80:77:0b:10:01", bound_macs=ARP)],
        [["mac:00:80:77:0b:10:01", "serial:SN-1"]], ["mac:00:80:77:0b:10:01"]),
    "no binding: the SNMP sighting stands on its own keys (routed device)": (
        [subject(f"mac:{ARP}", macs=ARP, ips="192.0.2.10"),
         subject("mac:00:80:77:0b:10:01", macs="00:80:77:0b:10:01", hostnames="sw-10", ips="192.0.2.10")],
        [[f"mac:{ARP}"], ["mac:00:80:77:0b:10:01"]], []),
}


@pytest.mark.parametrize("name", CASES)
def test_l2_binding(name: str) -> None:
    facts, expected, by_binding = CASES[name]
    assets = resolve(facts)
    assert sorted(sorted(a.members) for a in assets) == expected
    joined = sorted(s for a in assets for s, key in a.matched_by.items() if key == L2_BINDING)
    assert joined == sorted(by_binding)


def _scan(*observations: report_pb2.Observation) -> report_pb2.Report:
    report = report_pb2.Report(report_id="4b0c4f43-66a3-4a4c-9f0e-6e8b1f3f2b11", source_id="scanner-1", seq=1)
    report.scan.scan_id = "s"
    report.scan.targets.append("192.0.2.0/24")
    report.scan.observations.extend(observations)
    return report


def _snmp(ip: str, bound: str, **kw: object) -> report_pb2.Observation:
    obs = report_pb2.Observation(ip=ip, method=report_pb2.METHOD_SNMP, hostname="isp-gw", **kw)  # type: ignore[arg-type]
    obs.l2_binding.mac = bound
    obs.l2_binding.learnt_by = "arp"
    return obs


@pytest.mark.parametrize(("obs", "subject", "bound"), [
    (_snmp("192.0.2.1", "00:1B:21:0A:00:01"), "l2:00:1b:21:0a:00:01", "00:1b:21:0a:00:01"),
    (_snmp("192.0.2.1", "00:1b:21:0a:00:01", mac="00:80:77:0b:00:01"), "mac:00:80:77:0b:00:01", "00:1b:21:0a:00:01"),
    (_snmp("192.0.2.1", "00:00:5e:00:01:07"), "ip:192.0.2.1", ""),        # VRRP: never a binding
    (_snmp("192.0.2.1", "02:1b:21:0a:00:01"), "ip:192.0.2.1", ""),        # randomised
    (_snmp("192.0.2.1", "00:00:0c:07:ac:01"), "ip:192.0.2.1", ""),        # HSRP
], ids=["system-group-only", "own-mac", "vrrp", "local", "hsrp"])
def test_the_codec_names_and_checks_bound_sightings(obs: report_pb2.Observation, subject: str, bound: str) -> None:
    (sighting,) = decode_report(_scan(obs), datetime.now(UTC)).sightings
    assert (sighting.subject, sighting.bound_mac) == (subject, bound)


def test_an_arp_cache_entry_is_never_bound() -> None:
    obs = _snmp("192.0.2.9", "00:1b:21:0a:00:09")
    obs.method = report_pb2.METHOD_SNMP_ARP_CACHE
    obs.seen_via.device_ip = "192.0.2.1"
    (sighting,) = decode_report(_scan(obs), datetime.now(UTC)).sightings
    assert sighting.bound_mac == "" and sighting.subject == "ip:192.0.2.9"


@pytest.mark.parametrize(("target", "covers"), [
    ("127.0.0.1", False), ("127.0.0.0/8", False), ("169.254.0.0/16", False), ("224.0.0.251", False),
    ("255.255.255.255", False), ("0.0.0.0", False), ("::1", False), ("fe80::/64", False),
    ("192.0.2.0/24", True), ("0.0.0.0/0", True), ("2001:db8::/32", True), ("scanner-lan", True),
])
def test_only_targets_that_hold_a_machine_count_as_swept(target: str, covers: bool) -> None:
    report = _scan()
    del report.scan.targets[:]
    report.scan.targets.append(target)
    (run,) = decode_report(report, datetime.now(UTC)).scan_runs
    assert (run.targets == (target,)) is covers


def test_a_mac_that_many_subjects_were_bound_to_binds_none_of_them() -> None:
    """What a scanner that ignored proxy ARP would send: 20 devices bound to the router's MAC."""
    router = "00:1b:21:0a:00:fe"
    facts = [subject(f"mac:{router}", macs=router)] + [
        subject(f"mac:00:1e:c9:0d:00:{n:02x}", 0.1, macs=f"00:1e:c9:0d:00:{n:02x}", bound_macs=router)
        for n in range(20)]
    assert len(resolve(facts)) == 21

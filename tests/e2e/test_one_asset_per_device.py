"""One responder is one asset (issue #15): sweeps through the agent's real sweep() (which makes the L2
bindings), encoded and sent over real gRPC to a real collector on a real DuckDB file, then resolved.

The scanners are our own stand-ins that answer from a script (what ARP and SNMP would have heard), so
each case states exactly what the wire said; the namespace lab test (tests/agent/scan/test_l2_lab.py)
runs the real ARP and SNMP scanners against snmpsim.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from netcensus.v1 import report_pb2

from agent.facts.model import NetworkInterface
from agent.scan.base import Emit, Progress
from agent.scan.model import Method, Observation, ScanBatch, SnmpSystem, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.registry import ScannerEntry
from agent.scan.sweep import sweep
from agent.scan.targets import LocalAddresses, Target
from agent.transport.client import IngestClient
from agent.transport.encode import encode_scan
from agent.transport.state import NodeState
from collector.inventory.refresh import refresh
from tests.conftest import run_cli


@dataclass
class Device:
    """What answers SNMP at an address: its own words about itself."""

    ip: str
    name: str = ""
    if_macs: tuple[str, ...] = ()
    serial: str = ""


@dataclass
class Wire:
    """What one sweep hears: ARP answers (ip -> MAC) and SNMP agents."""

    arp: dict[str, str] = field(default_factory=dict)
    snmp: list[Device] = field(default_factory=list)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


SCRIPT: list[Wire] = []


def scripted_arp(targets: Sequence[Target], options: SweepOptions, emit: Emit, *, stop: threading.Event,
                 deadline: float, progress: Progress | None = None) -> None:
    wire = SCRIPT[0]
    wanted = {a for t in targets for a in t.addresses}
    for ip, mac in wire.arp.items():
        if ip in wanted:
            emit(Observation(method=Method.ARP, seen_at=wire.at, ip=ip, mac=mac))
    for t in targets:
        emit(TargetStatus(target=t.spec, method=Method.ARP, ok=True))


def scripted_snmp(targets: Sequence[Target], options: SweepOptions, emit: Emit, *, stop: threading.Event,
                  deadline: float, progress: Progress | None = None) -> None:
    wire = SCRIPT[0]
    by_ip = {d.ip: d for d in wire.snmp}
    for t in targets:
        d = by_ip.get(t.spec)
        if d is None:
            emit(TargetStatus(target=t.spec, method=Method.SNMP, ok=False, reason="timeout"))
            continue
        ifaces = tuple(NetworkInterface(name=f"port{n}", mac=m) for n, m in enumerate(d.if_macs, 1))
        emit(Observation(method=Method.SNMP, seen_at=wire.at, ip=d.ip, mac=d.if_macs[0] if d.if_macs else "",
                         hostname=d.name, snmp=SnmpSystem(descr="test device", name=d.name), serial=d.serial,
                         interfaces=ifaces))
        emit(TargetStatus(target=t.spec, method=Method.SNMP, ok=True))


SCANNERS = {
    Method.ARP: ScannerEntry(Method.ARP, __name__, "scripted_arp", discovers=True, about="scripted ARP"),
    Method.SNMP: ScannerEntry(Method.SNMP, __name__, "scripted_snmp", discovers=False, about="scripted SNMP"),
}


def run_sweeps(target: str, state_dir: Path, wires: Sequence[Wire], cidr: str = "192.0.2.0/24") -> list[ScanBatch]:
    """Each wire as one sweep through the real sweep(), sent to the collector; returns every batch."""
    state = NodeState.load(state_dir / "state.json")
    sent: list[ScanBatch] = []
    with IngestClient(target, state, kind=report_pb2.SOURCE_KIND_SCANNER) as client:
        client.ensure_enrolled()
        for wire in wires:
            SCRIPT[:] = [wire]
            batches = list(sweep([cidr], methods=[Method.ARP, Method.SNMP], options=SweepOptions(time_budget_s=60),
                                 scanners=SCANNERS, local=LocalAddresses()))
            for batch in batches:
                (ack,) = client.send([encode_scan(batch, source_id=state.source_id, seq=state.take_seq(),
                                                  now=datetime.now(UTC))])
                assert ack.stored, ack.reason
            sent += batches
    return sent


def assets_of(running: Any) -> list[Any]:
    return refresh(running.collector.store, now=datetime.now(UTC) + timedelta(seconds=1),
                   ghost_after=timedelta(days=14), rules=None, persist=False).assets


def owner(assets: list[Any], ip: str) -> Any:
    (found,) = [a for a in assets if ip in a.ips]
    return found


T = datetime.now(UTC) - timedelta(hours=2)


def test_snmp_agents_whose_interface_macs_are_not_the_arp_mac_are_one_asset_each(collector, tmp_path: Path) -> None:
    wire = Wire(arp={f"192.0.2.{n}": f"00:1b:21:0a:00:{n:02x}" for n in (10, 11, 12)},
                snmp=[Device(f"192.0.2.{n}", f"sw-{n}", (f"00:80:77:0b:{n:02x}:01", f"00:80:77:0b:{n:02x}:02"))
                      for n in (10, 11, 12)])
    batches = run_sweeps(collector.target, tmp_path, [wire])
    bound = [o for b in batches for o in b.observations if o.l2_binding is not None]
    assert sorted((o.ip, o.l2_binding.mac, o.l2_binding.learnt_by) for o in bound) == [
        (f"192.0.2.{n}", f"00:1b:21:0a:00:{n:02x}", "arp") for n in (10, 11, 12)]
    assets = assets_of(collector)
    assert len(assets) == 3  # three devices, three assets (was six: ARP half and SNMP half)
    for n in (10, 11, 12):
        a = owner(assets, f"192.0.2.{n}")
        assert a.hostnames == [f"sw-{n}"]
        assert f"00:1b:21:0a:00:{n:02x}" in a.macs and f"00:80:77:0b:{n:02x}:01" in a.macs
        assert "l2-binding" in a.matched_by.values()
        assert any("l2-bound to 00:1b:21:0a:00:" in detail and "same sweep" in detail for *_, detail in a.evidence)


REGISTER = """\
Asset Name,Asset Tag,Model,Manufacturer,Serial,Status,Checked Out,MAC Address,Hostname
isp-gw,NC-1,ER-X,Ubiquiti,,Deployed,Network team,00:1b:21:0a:00:01,
"""


def test_a_system_group_only_agent_is_one_asset_and_no_false_zombie(collector, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text(REGISTER)
    assert run_cli("netcensus", "import", str(register), "--format", "snipeit", "--collector",
                   collector.target).code == 0
    run_sweeps(collector.target, tmp_path, [Wire(arp={"192.0.2.1": "00:1b:21:0a:00:01"},
                                                 snmp=[Device("192.0.2.1", "isp-gw")])])
    (a,) = assets_of(collector)
    assert a.hostnames == ["isp-gw"] and a.macs == ["00:1b:21:0a:00:01"]
    assert sorted(a.matched_by.values()) == ["anchor", "l2-binding"]
    findings = json.loads(run_cli("netcensus", "findings", "--collector", collector.target, "--format", "json",
                                  "--ghost-after", "0").out)
    assert [f["kind"] for f in findings if f["kind"] == "zombie"] == []


@pytest.mark.parametrize("with_interfaces", [False, True], ids=["system-group-only", "with-interface-macs"])
def test_dhcp_churn_between_sweeps_merges_nothing(collector, tmp_path: Path, with_interfaces: bool) -> None:
    """The same address holds one printer in the first sweep and another in the second: two assets."""
    first = Wire(arp={"192.0.2.20": "00:80:77:0a:00:a1"},
                 snmp=[Device("192.0.2.20", "prn-a", ("00:80:77:0c:00:a1",) if with_interfaces else ())], at=T)
    second = Wire(arp={"192.0.2.20": "00:80:77:0a:00:b2"},
                  snmp=[Device("192.0.2.20", "prn-b", ("00:80:77:0c:00:b2",) if with_interfaces else ())],
                  at=T + timedelta(hours=1))
    run_sweeps(collector.target, tmp_path, [first, second])
    assets = assets_of(collector)
    assert len(assets) == 2
    by_name = {a.hostnames[0]: a for a in assets}
    assert "00:80:77:0a:00:a1" in by_name["prn-a"].macs and "00:80:77:0a:00:b2" not in by_name["prn-a"].macs
    assert "00:80:77:0a:00:b2" in by_name["prn-b"].macs and "00:80:77:0a:00:a1" not in by_name["prn-b"].macs


def test_a_proxy_arp_router_answering_for_a_whole_24_binds_nothing(collector, tmp_path: Path) -> None:
    router = "00:1b:21:0a:00:fe"
    behind = [Device(f"192.0.2.{n}", f"host-{n}", (f"00:1e:c9:0d:00:{n:02x}",)) for n in (30, 31, 32, 33)]
    batches = run_sweeps(collector.target, tmp_path,
                         [Wire(arp={f"192.0.2.{n}": router for n in range(1, 255)}, snmp=behind)])
    assert [o for b in batches for o in b.observations if o.l2_binding is not None] == []
    assets = assets_of(collector)
    # The router's ARP sighting is one asset; each device behind it stands on its own keys.
    assert len(assets) == 5
    rest = [a for a in assets if router not in a.macs]
    assert sorted(a.hostnames[0] for a in rest) == ["host-30", "host-31", "host-32", "host-33"]
    assert all("l2-binding" not in a.matched_by.values() for a in assets)


def test_a_vrrp_virtual_mac_shared_by_two_routers_merges_nothing(collector, tmp_path: Path) -> None:
    """The gateway address answers with the VRRP MAC; its master changes between sweeps."""
    vmac, mac_a, mac_b = "00:00:5e:00:01:07", "00:1b:21:0a:00:aa", "00:1b:21:0a:00:bb"
    rtr_a = ("00:1b:21:0e:00:aa", "00:1b:21:0e:01:aa")
    rtr_b = ("00:1b:21:0e:00:bb", "00:1b:21:0e:01:bb")
    wires = [Wire(arp={"192.0.2.1": vmac, "192.0.2.2": mac_a, "192.0.2.3": mac_b},
                  snmp=[Device("192.0.2.1", master, macs), Device("192.0.2.2", "rtr-a", rtr_a),
                        Device("192.0.2.3", "rtr-b", rtr_b)], at=at)
             for master, macs, at in (("rtr-a", rtr_a, T), ("rtr-b", rtr_b, T + timedelta(hours=1)))]
    batches = run_sweeps(collector.target, tmp_path, wires)
    assert {o.ip for b in batches for o in b.observations if o.l2_binding is not None} == {"192.0.2.2", "192.0.2.3"}
    assets = assets_of(collector)
    a, b = owner(assets, "192.0.2.2"), owner(assets, "192.0.2.3")
    assert a is not b
    assert a.hostnames == ["rtr-a"] and b.hostnames == ["rtr-b"]
    assert vmac not in a.macs and vmac not in b.macs


def test_an_older_scanners_binding_to_a_virtual_router_mac_is_refused(collector, tmp_path: Path) -> None:
    """The collector re-checks what a scanner bound: a VRRP MAC joins nothing even if a scanner sends it."""
    from agent.scan.model import L2Binding

    now = datetime.now(UTC)
    vmac = "00:00:5e:00:01:07"
    obs = [Observation(method=Method.ARP, seen_at=now, ip="192.0.2.1", mac=vmac)]
    obs += [Observation(method=Method.SNMP, seen_at=now, ip="192.0.2.1", hostname=name, mac=mac,
                        interfaces=(NetworkInterface("eth0", mac),), l2_binding=L2Binding(vmac, "arp", now))
            for name, mac in (("rtr-a", "00:1b:21:0e:00:aa"), ("rtr-b", "00:1b:21:0e:00:bb"))]
    batch = ScanBatch(scan_id="old", targets=("192.0.2.0/24",), methods=(Method.ARP, Method.SNMP), started_at=now,
                      finished_at=now, observations=tuple(obs), complete=True)
    state = NodeState.load(tmp_path / "state.json")
    with IngestClient(collector.target, state, kind=report_pb2.SOURCE_KIND_SCANNER) as client:
        client.ensure_enrolled()
        (ack,) = client.send([encode_scan(batch, source_id=state.source_id, seq=state.take_seq(), now=now)])
    assert ack.stored, ack.reason
    assert len(assets_of(collector)) == 3
    assert collector.collector.store.query("SELECT count(*) AS n FROM sightings WHERE bound_mac IS NOT NULL") == [
        {"n": 0}]


def test_special_addresses_an_older_scanner_reports_are_never_assets_or_coverage(collector, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    obs = (Observation(method=Method.NMAP, seen_at=now, ip="127.0.0.1"),
           Observation(method=Method.SNMP, seen_at=now, ip="169.254.10.1", hostname="apipa-box"),
           Observation(method=Method.SNMP_ARP_CACHE, seen_at=now, ip="224.0.0.251", mac="01:00:5e:00:00:fb"),
           Observation(method=Method.NMAP, seen_at=now, ip="198.51.100.255"),
           Observation(method=Method.ARP, seen_at=now, ip="169.254.7.7", mac="00:1b:21:0a:00:77"))
    batch = ScanBatch(scan_id="old", targets=("127.0.0.1", "169.254.0.0/16", "198.51.100.0/24"),
                      methods=(Method.NMAP,), started_at=now, finished_at=now, observations=obs, complete=True)
    state = NodeState.load(tmp_path / "state.json")
    with IngestClient(collector.target, state, kind=report_pb2.SOURCE_KIND_SCANNER) as client:
        client.ensure_enrolled()
        (ack,) = client.send([encode_scan(batch, source_id=state.source_id, seq=state.take_seq(), now=now)])
    assert ack.stored, ack.reason
    (a,) = assets_of(collector)  # only the device with a real MAC; its link-local address is not kept
    assert a.macs == ["00:1b:21:0a:00:77"] and a.ips == []
    store = collector.collector.store
    assert store.query("SELECT targets FROM scan_runs") == [{"targets": ["198.51.100.0/24"]}]


def test_a_sweep_of_special_addresses_skips_them_and_says_so(tmp_path: Path) -> None:
    SCRIPT[:] = [Wire()]
    local = LocalAddresses(frozenset({"192.0.2.2"}), ())
    batches = list(sweep(["127.0.0.1", "169.254.1.0/30", "192.0.2.2", "192.0.2.0/30", "255.255.255.255"],
                         methods=[Method.ARP], options=SweepOptions(time_budget_s=30), scanners=SCANNERS,
                         local=local))
    last = batches[-1]
    assert last.complete
    assert {(s.reason, s.count) for s in last.skipped} == {
        ("loopback", 1), ("link-local", 2), ("scanner's own address", 1), ("limited broadcast", 1)}
    assert last.targets == ("192.0.2.0/30",)  # wholly special targets are not listed as swept
    statuses = [s for b in batches for s in b.statuses]
    assert [s.target for s in statuses] == ["192.0.2.0/30"]


def test_an_asset_known_only_by_a_random_mac_is_labelled_in_assets_and_its_zombie(collector, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    rnd, real = "da:a1:19:3c:00:07", "00:1b:21:0a:00:08"
    seen = (Observation(method=Method.ARP, seen_at=now, ip="192.0.2.7", mac=rnd, mac_is_local=True),
            Observation(method=Method.ARP, seen_at=now, ip="192.0.2.8", mac=real))
    batch = ScanBatch(scan_id="s", targets=("192.0.2.0/24",), methods=(Method.ARP,), started_at=now, finished_at=now,
                      observations=seen, complete=True)
    state = NodeState.load(tmp_path / "state.json")
    with IngestClient(collector.target, state, kind=report_pb2.SOURCE_KIND_SCANNER) as client:
        client.ensure_enrolled()
        (ack,) = client.send([encode_scan(batch, source_id=state.source_id, seq=state.take_seq(), now=now)])
    assert ack.stored, ack.reason
    assets = {a["ips"][0]: a for a in json.loads(
        run_cli("netcensus", "assets", "--collector", collector.target, "--format", "json").out)}
    assert assets["192.0.2.7"]["random_mac"] == rnd and assets["192.0.2.7"]["macs"] == []
    assert assets["192.0.2.8"]["random_mac"] is None
    csv_out = run_cli("netcensus", "assets", "--collector", collector.target, "--format", "csv").out
    assert "random_mac" in csv_out.splitlines()[0] and rnd in csv_out
    # wide enough for every column: a narrower table leaves the rightmost ones out (README)
    table = run_cli("netcensus", "assets", "--collector", collector.target, env={"COLUMNS": "250"}).out
    assert "RANDOM MAC" in table and rnd in table
    zombies = {f["ip"]: f for f in json.loads(run_cli(
        "netcensus", "findings", "--collector", collector.target, "--kind", "zombie", "--format", "json").out)}
    assert "randomised (locally administered) MAC da:a1:19:3c:00:07" in zombies["192.0.2.7"]["summary"]
    assert any(e["method"] == "random-mac" for e in zombies["192.0.2.7"]["evidence"])
    assert "randomised" not in zombies["192.0.2.8"]["summary"]


def test_an_snmp_only_sweep_binds_through_the_kernel_neighbour_table(collector, tmp_path: Path) -> None:
    """An ARP sweep, then (another job) an SNMP-only sweep: the neighbour table binds them into one asset."""
    arp = "00:1b:21:0a:00:31"
    table = json.dumps([{"dst": "192.0.2.31", "dev": "eth0", "lladdr": arp, "state": ["REACHABLE"]},
                        {"dst": "192.0.2.32", "dev": "eth0", "lladdr": "00:1b:21:0a:00:32", "state": ["STALE"]}])
    state = NodeState.load(tmp_path / "state.json")
    with IngestClient(collector.target, state, kind=report_pb2.SOURCE_KIND_SCANNER) as client:
        client.ensure_enrolled()
        for methods, wire in (([Method.ARP], Wire(arp={"192.0.2.31": arp, "192.0.2.32": "00:1b:21:0a:00:32"})),
                              ([Method.SNMP], Wire(snmp=[Device("192.0.2.31", "sw-31", ("00:80:77:0b:31:01",)),
                                                         Device("192.0.2.32", "sw-32", ("00:80:77:0b:32:01",))]))):
            SCRIPT[:] = [wire]
            for batch in sweep(["192.0.2.31", "192.0.2.32"], methods=methods, options=SweepOptions(time_budget_s=30),
                               scanners=SCANNERS, local=LocalAddresses(), neighbour_table=lambda: table):
                bound = {o.ip: o.l2_binding for o in batch.observations if o.l2_binding is not None}
                if methods == [Method.SNMP] and batch.observations:
                    assert {ip: (b.mac, b.learnt_by) for ip, b in bound.items()} == {"192.0.2.31": (arp, "neighbour")}
                (ack,) = client.send([encode_scan(batch, source_id=state.source_id, seq=state.take_seq(),
                                                  now=datetime.now(UTC))])
                assert ack.stored, ack.reason
    assets = assets_of(collector)
    assert owner(assets, "192.0.2.31").hostnames == ["sw-31"]  # one asset: the ARP MAC and the SNMP half
    assert arp in owner(assets, "192.0.2.31").macs
    assert len(assets) == 3  # 192.0.2.32's entry was STALE: no binding, its two halves stay apart

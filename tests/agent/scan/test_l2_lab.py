"""One asset per device in a namespace lab: real ARP and SNMP scanners against snmpsim recordings whose
interface MACs and sysNames have nothing to do with the namespaces' MACs, through a real collector.

Before the L2 binding this lab resolved into 16 assets for its 8 devices (each device's ARP sighting
and its SNMP sighting stood apart); bench/bench_assets_per_device.py prints the figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.lab.namespaces import Lab, LabHost, iter_observations
from bench.bench_assets_per_device import measure
from tests.agent.scan.conftest import need_root

pytestmark = [pytest.mark.root]


def test_every_recorded_device_is_one_asset_bound_to_the_mac_that_answered_arp(tmp_path: Path) -> None:
    need_root()
    pytest.importorskip("snmpsim_data")
    n_assets, n_devices, by_device = measure(tmp_path)
    assert (n_assets, n_devices) == (8, 8)
    for name, (asset,) in by_device.items():
        assert "l2-binding" in asset.matched_by.values(), name
        assert asset.hostnames, name  # the SNMP half (sysName) sits on the same asset as the ARP half
    # The recordings' own interface MACs are on the asset beside the lab's MAC.
    assert "00:1b:21:0f:00:1b" in by_device["switch"][0].macs and len(by_device["switch"][0].macs) > 1
    assert by_device["isp-gw"][0].hostnames == ["isp-gw"]


def test_an_snmp_only_sweep_binds_through_the_real_neighbour_table() -> None:
    """No ARP method: the scanner's kernel resolved the hosts while SNMP talked to them (REACHABLE)."""
    need_root()
    data = Path(__file__).resolve().parents[2] / "data" / "scan" / "snmpsim"
    hosts = [LabHost("switch", "192.0.2.41", "00:1b:21:0f:00:29", snmpsim_data=data / "switch"),
             LabHost("isp-gw", "192.0.2.42", "00:1b:21:0f:00:2a", snmpsim_data=data / "sysgroup-only")]
    with Lab(hosts) as lab:
        batches = lab.sweep([h.ip for h in hosts], ["snmp"], {"time_budget_s": 60, "timeout_s": 2})
    own = {o["ip"]: o["l2_binding"] for o in iter_observations(batches) if o["method"] == "snmp" and not o["seen_via"]}
    assert {ip: (b["mac"], b["learnt_by"]) for ip, b in own.items()} == {
        h.ip: (h.mac, "neighbour") for h in hosts}

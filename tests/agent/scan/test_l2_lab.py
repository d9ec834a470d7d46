"""One asset per device in a namespace lab: real ARP and SNMP scanners against snmpsim recordings whose
interface MACs and sysNames have nothing to do with the namespaces' MACs, through a real collector.

Before the L2 binding this lab resolved into 16 assets for its 8 devices (each device's ARP sighting
and its SNMP sighting stood apart); bench/bench_assets_per_device.py prints the figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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

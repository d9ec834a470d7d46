"""Device types of real recorded devices (snmpsim-data system groups), as classify() gives them."""

from __future__ import annotations

from typing import Any

import pytest

from agent.scan.classify import classify


@pytest.mark.parametrize(("oid", "descr", "kw", "expected"), [
    ("1.3.6.1.4.1.311.1.1.3.1.2", "Hardware: x86 Family 6 Model 63 - Software: Windows Version 5.2 (Build 3790 "
     "Multiprocessor Free)", {}, "server"),
    ("1.3.6.1.4.1.5089.1", "Amaranten Firewall 8.90.07.01-11595", {}, "firewall"),
    ("1.3.6.1.4.1.30803", "Netentsec NGFW", {}, "firewall"),
    ("1.3.6.1.4.1.30803", "Vyatta unknown-version", {}, "router"),
    ("1.3.6.1.4.1.8072.3.2.10", "Linux IPCAM 2.6.18_pro500-davinci #1", {}, "camera"),
    # A maker's name is not a type: Hikvision's description names no kind of device.
    ("1.3.6.1.4.1.50001", "Hikvision company products", {}, "unknown"),
    ("1.3.6.1.4.1.39165.1.1", "Hikvision DS-7608NI network video recorder", {}, "camera"),
    ("1.3.6.1.4.1.12124.1", "Isilon OneFS nas-1 v7.2.1.0", {}, "storage"),
    ("1.3.6.1.4.1.11.5.7.1.2", "HP Onboard Administrator", {}, "bmc"),
    ("1.3.6.1.4.1.21239.42.1.31", "Data Center 01 Temp Sensor", {}, "iot"),
    ("1.3.6.1.4.1.40614", "iStars_SWV053", {"mibs": frozenset({"ups-mib"})}, "ups"),
    ("1.3.6.1.4.1.99999.1", "", {"mibs": frozenset({"printer-mib"})}, "printer"),
    ("1.3.6.1.4.1.99999.1", "", {"services": 2}, "switch"),
    ("1.3.6.1.4.1.99999.1", "", {"services": 4}, "router"),
    # Layers 2 and 3 together (a layer-3 switch or a bridging router): not enough alone.
    ("1.3.6.1.4.1.99999.1", "", {"services": 6}, "unknown"),
    ("1.3.6.1.4.1.99999.1", "", {"services": 72}, "unknown"),
    # A known type is not overridden by layer bits.
    ("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software, C2960X Software", {"services": 6}, "switch"),
])
def test_classify_real_devices(oid: str, descr: str, kw: dict[str, Any], expected: str) -> None:
    assert classify(oid, descr, **kw).device_type == expected

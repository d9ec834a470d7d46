"""ARP sweeps against real namespace hosts: exact IPs, MACs and vendors, also under loss."""

from __future__ import annotations

import re

import pytest

from agent.lab.namespaces import BENCH_NET, DEMO_MACS, Lab, LabHost, iter_observations
from tests.agent.scan.conftest import need_root

pytestmark = [pytest.mark.root]

EXPECTED = {
    "192.0.2.11": ("00:1b:21:0a:00:01", "Intel Corporate"),
    "192.0.2.12": ("3c:22:fb:0a:00:02", "Apple, Inc."),
    "192.0.2.13": ("00:1e:c9:0a:00:03", "Dell Inc."),
    "192.0.2.14": ("00:80:77:0a:00:04", "Brother industries, LTD."),
}


def test_arp_sweep_finds_exactly_the_lab_hosts(demo_lab: Lab) -> None:
    batches = demo_lab.sweep(["192.0.2.0/24"], ["arp"], {"time_budget_s": 60})
    found = {o["ip"]: (o["mac"], o["vendor"]) for o in iter_observations(batches)}
    assert found == EXPECTED
    assert all(o["method"] == "arp" and not o["mac_is_local"] for o in iter_observations(batches))
    assert batches[-1]["complete"] is True
    assert sum(b["complete"] for b in batches) == 1
    (status,) = [s for b in batches for s in b["statuses"]]
    assert status["ok"] is True
    assert status["target"] == "192.0.2.0/24"
    # Retries go only to silent addresses: live hosts cost one request each (no loss here).
    m = re.match(r"4 of (\d+) addresses answered on eth0 \((\d+) requests, up to 3 per address\)", status["reason"])
    assert m, status["reason"]
    silent = int(m.group(1)) - 4  # minus the four hosts (a sweep skips the scanner's own address: not counted)
    assert int(m.group(2)) == 4 + 3 * silent


def test_arp_exclusions_and_unattached_subnet(demo_lab: Lab) -> None:
    batches = demo_lab.sweep(["192.0.2.0/28", "198.51.100.0/29"], ["arp"],
                             {"exclude": ["192.0.2.12", "192.0.2.13/32"], "time_budget_s": 60})
    assert {o["ip"] for o in iter_observations(batches)} == {"192.0.2.11", "192.0.2.14"}
    statuses = {s["target"]: s for b in batches for s in b["statuses"]}
    assert statuses["192.0.2.0/28"]["ok"] is True
    # 198.51.100.0/24 is not on any scanner interface and there is no default route.
    assert statuses["198.51.100.0/29"]["ok"] is False
    assert "directly attached" in statuses["198.51.100.0/29"]["reason"]


def test_arp_with_five_percent_loss_and_random_mac() -> None:
    need_root("nft")
    hosts = [LabHost(f"loss-{i}", f"192.0.2.{20 + i}", f"00:1b:21:0b:00:{i:02x}") for i in range(1, 21)]
    hosts.append(LabHost("random-mac", "192.0.2.60", "02:42:c0:a8:00:3c"))
    with Lab(hosts, loss_percent=5) as lab:
        batches = lab.sweep(["192.0.2.0/24"], ["arp"], {"retries": 4, "time_budget_s": 60})
        # The loss is real: thousands of flooded request copies crossed the bridge, ~5% died.
        assert lab.loss_drops() > 20
    found = {o["ip"]: o for o in iter_observations(batches)}
    assert set(found) == {h.ip for h in hosts}
    assert found["192.0.2.60"]["mac_is_local"] is True
    assert found["192.0.2.60"]["vendor"] == ""
    assert found["192.0.2.21"]["vendor"] == "Intel Corporate"


def test_demo_macs_are_the_register_ones() -> None:
    assert DEMO_MACS == ("00:1b:21:0a:00:01", "3c:22:fb:0a:00:02", "00:1e:c9:0a:00:03", "00:80:77:0a:00:04")


def test_arp_sweep_of_a_slash_20() -> None:
    # Hosts on both ends of a /20 (RFC 2544 benchmarking range, lab only), across /24 boundaries.
    hosts = [LabHost("wide-1", "198.18.0.10", "00:1b:21:0e:00:01", prefix=20),
             LabHost("wide-2", "198.18.15.200", "00:1e:c9:0e:00:02", prefix=20)]
    with Lab(hosts, scanner_ip="198.18.7.1/20") as lab:
        batches = lab.sweep([BENCH_NET], ["arp"], {"rate_pps": 20000, "time_budget_s": 60})
    assert {o["ip"]: o["mac"] for o in iter_observations(batches)} == {h.ip: h.mac for h in hosts}
    (status,) = [s for b in batches for s in b["statuses"]]
    assert status["ok"] is True
    assert status["reason"].startswith("2 of 4093 addresses answered on eth0")  # the scanner's own is skipped

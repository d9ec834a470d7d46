"""nmap: recorded-XML parsing (pure) and real nmap from the scanner namespace, incl. a routed
segment that ARP cannot reach."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.lab.namespaces import ROUTER_MAC, Lab, LabHost, iter_observations
from agent.scan.model import Method, OpenPort
from agent.scan.nmap import nmap_arguments, parse_nmap_xml
from agent.scan.options import SweepOptions
from tests.agent.scan.conftest import need_root

DATA = Path(__file__).resolve().parents[2] / "data" / "scan"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_parse_recorded_discovery_xml() -> None:
    # Recorded from `nmap -sn -n 192.0.2.0/24 198.51.100.0/24` in the lab (see test below).
    obs, stats = parse_nmap_xml((DATA / "nmap-discovery.xml").read_text(), seen_at=WHEN)
    assert stats["uphosts"] == "7"
    assert stats["totalhosts"] == "512"
    by_ip = {o.ip: o for o in obs}
    assert set(by_ip) == {"192.0.2.1", "192.0.2.21", "192.0.2.22", "192.0.2.254",
                          "198.51.100.31", "198.51.100.32", "198.51.100.254"}
    assert (by_ip["192.0.2.21"].mac, by_ip["192.0.2.21"].vendor) == ("00:1e:c9:0a:00:21", "Dell Inc.")
    assert (by_ip["192.0.2.254"].mac, by_ip["192.0.2.254"].vendor) == ("00:00:0c:0a:00:fe", "Cisco Systems, Inc")
    # Beyond the router nmap sees no MAC: an IP-only sighting.
    assert by_ip["198.51.100.31"].mac == ""
    assert all(o.method is Method.NMAP and o.seen_at == WHEN for o in obs)


def test_parse_recorded_ports_and_os_xml() -> None:
    # Recorded from the "os" profile against a Python http.server host and a bare routed host.
    obs, _ = parse_nmap_xml((DATA / "nmap-ports.xml").read_text(), seen_at=WHEN)
    by_ip = {o.ip: o for o in obs}
    web = by_ip["192.0.2.21"]
    assert web.open_ports == (OpenPort(port=80, protocol="tcp", service="http", product="SimpleHTTPServer 0.6"),)
    assert web.os_family == "linux"            # best osmatch "Linux 5.3 - 5.4" (96%)
    assert web.device_type == ""               # "general purpose" says nothing about the role
    assert by_ip["198.51.100.31"].open_ports == ()


def test_parse_rejects_non_xml() -> None:
    with pytest.raises(ValueError, match="not nmap XML"):
        parse_nmap_xml("Starting Nmap 7.93\nFailed to resolve")


def test_nmap_arguments_per_profile() -> None:
    args = nmap_arguments(SweepOptions(profile="discovery", rate_pps=200, retries=1, exclude=("192.0.2.5",)))
    assert args == ["-sn", "-n", "--max-rate", "200", "--max-retries", "1", "--exclude", "192.0.2.5"]
    os_args = nmap_arguments(SweepOptions(profile="os", nmap_dns=True, interface="eth1", nmap_args=("-T4",)))
    assert "-O" in os_args
    assert "-n" not in os_args
    assert os_args[-3:] == ["-e", "eth1", "-T4"]


@pytest.fixture(scope="module")
def routed_lab() -> Iterator[Lab]:
    need_root("nmap")
    hosts = [LabHost("web", "192.0.2.21", "00:1e:c9:0a:00:21", tcp_ports=(80,)),
             LabHost("plain", "192.0.2.22", "3c:22:fb:0a:00:22")]
    routed = [LabHost("far1", "198.51.100.31", "00:1b:21:0c:00:31"),
              LabHost("far2", "198.51.100.32", "00:1b:21:0c:00:32")]
    with Lab(hosts, routed_hosts=routed) as lab:
        yield lab


@pytest.mark.root
def test_nmap_discovery_lan_and_routed(routed_lab: Lab) -> None:
    batches = routed_lab.sweep(["192.0.2.16/28", "198.51.100.30-33"], ["arp", "nmap"], {"time_budget_s": 90})
    nmap_obs = {o["ip"]: o for o in iter_observations(batches) if o["method"] == "nmap"}
    arp_obs = {o["ip"]: o for o in iter_observations(batches) if o["method"] == "arp"}
    assert set(nmap_obs) == {"192.0.2.21", "192.0.2.22", "198.51.100.31", "198.51.100.32"}
    assert nmap_obs["192.0.2.21"]["mac"] == "00:1e:c9:0a:00:21"
    assert nmap_obs["198.51.100.31"]["mac"] == ""
    assert set(arp_obs) == {"192.0.2.21", "192.0.2.22"}
    statuses = {(s["target"], s["method"]): s for b in batches for s in b["statuses"]}
    assert statuses[("198.51.100.30-33", "arp")]["ok"] is False
    assert statuses[("198.51.100.30-33", "nmap")]["ok"] is True
    assert statuses[("192.0.2.16/28", "nmap")]["ok"] is True
    assert batches[-1]["complete"] is True


@pytest.mark.root
def test_nmap_ports_profile(routed_lab: Lab) -> None:
    batches = routed_lab.sweep(["192.0.2.21"], ["nmap"], {"profile": "ports", "time_budget_s": 90})
    (web,) = [o for o in iter_observations(batches) if o["method"] == "nmap"]
    assert web["open_ports"] == [{"port": 80, "protocol": "tcp", "service": "http",
                                  "product": web["open_ports"][0]["product"]}]
    assert web["open_ports"][0]["product"].startswith("SimpleHTTPServer")


@pytest.mark.root
def test_router_mac_is_cisco(routed_lab: Lab) -> None:
    batches = routed_lab.sweep(["192.0.2.254"], ["arp"], {"time_budget_s": 30})
    (rt,) = list(iter_observations(batches))
    assert (rt["mac"], rt["vendor"]) == (ROUTER_MAC, "Cisco Systems, Inc")

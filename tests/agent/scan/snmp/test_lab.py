"""SNMP inventory against real net-snmp snmpd in a namespace: exact system group, interfaces,
ARP-cache sightings and installed software (compared with dpkg's own list)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from agent.lab.namespaces import HIDDEN_NEIGHBOUR, Lab, iter_observations

pytestmark = [pytest.mark.root]


def _dpkg_names() -> set[str]:
    # net-snmp's hrSWInstalledName on Debian is "<package>_<version>_<arch>" of installed packages.
    out = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Package}_${Version}_${Architecture}\n"],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[1] for line in out.splitlines() if line.startswith("ii")}


@pytest.fixture(scope="module")
def swept(demo_lab: Lab) -> dict[str, Any]:
    before = _dpkg_names()
    batches = demo_lab.sweep(["192.0.2.0/24"], ["arp", "snmp"], {"time_budget_s": 90})
    return {"batches": batches, "dpkg_before": before, "dpkg_after": _dpkg_names()}


def _by_method(swept: dict[str, Any], method: str) -> list[dict[str, Any]]:
    return [o for o in iter_observations(swept["batches"]) if o["method"] == method]


def test_device_system_group_and_classification(swept: dict[str, Any]) -> None:
    (dev,) = _by_method(swept, "snmp")
    assert dev["ip"] == "192.0.2.11"
    assert dev["mac"] == "00:1b:21:0a:00:01"
    assert dev["vendor"] == "Intel"  # net-snmp's enterprise names the agent, so the OUI answers (canonical name)
    assert dev["hostname"] == "lab-h1"
    snmp = dev["snmp"]
    assert snmp["name"] == "lab-h1"
    assert snmp["location"] == "netcensus lab rack 1"
    assert snmp["contact"] == "lab@example.org"
    # NET-SNMP-TC netSnmpAgentOIDs.linux(10)
    assert snmp["object_id"] == "1.3.6.1.4.1.8072.3.2.10"
    assert snmp["descr"].startswith("Linux ")
    assert (dev["device_type"], dev["os_family"]) == ("server", "linux")
    attrs = dict(dev["attributes"])
    assert int(attrs["hrMemorySizeKiB"]) > 0
    assert "hrSystemDate" in attrs


def test_device_interfaces(swept: dict[str, Any]) -> None:
    (dev,) = _by_method(swept, "snmp")
    ifaces = {i["name"]: i for i in dev["interfaces"]}
    assert set(ifaces) == {"lo", "eth0"}
    assert ifaces["eth0"]["mac"] == "00:1b:21:0a:00:01"
    assert ifaces["eth0"]["addresses"] == ["192.0.2.11/24"]
    assert ifaces["eth0"]["is_up"] is True
    assert ifaces["eth0"]["is_virtual"] is False
    assert ifaces["lo"]["mac"] == ""
    assert ifaces["lo"]["addresses"] == ["127.0.0.1/8"]
    assert ifaces["lo"]["is_virtual"] is True


def test_arp_cache_sightings(swept: dict[str, Any]) -> None:
    cache = {o["ip"]: o for o in _by_method(swept, "snmp-arp-cache")}
    hidden_ip, hidden_mac = HIDDEN_NEIGHBOUR
    # The hidden neighbour exists only in lab-h1's ARP cache: the router-table sighting is
    # the only way the scanner can know it.
    assert cache[hidden_ip]["mac"] == hidden_mac
    assert cache[hidden_ip]["vendor"] == "Brother industries, LTD."
    assert cache[hidden_ip]["seen_via"] == {"device_ip": "192.0.2.11", "device_name": "lab-h1",
                                           "if_index": 2, "port_name": "eth0", "vlan": 0}
    # The scanner itself is in the cache (it just talked to lab-h1); its veth MAC is random.
    assert cache["192.0.2.1"]["mac_is_local"] is True
    assert set(cache) == {hidden_ip, "192.0.2.1"}
    arp_ips = {o["ip"] for o in _by_method(swept, "arp")}
    assert hidden_ip not in arp_ips


def test_installed_software_matches_dpkg(swept: dict[str, Any]) -> None:
    (dev,) = _by_method(swept, "snmp")
    names = {s["name"] for s in dev["software"]}
    assert all(s["version"] == "" and s["source"] == "snmp" for s in dev["software"])
    stable = swept["dpkg_before"] & swept["dpkg_after"]
    assert stable <= names <= swept["dpkg_before"] | swept["dpkg_after"]
    assert any(n.startswith("snmpd_") for n in names)


def test_statuses_one_per_host(swept: dict[str, Any]) -> None:
    statuses = [s for b in swept["batches"] for s in b["statuses"] if s["method"] == "snmp"]
    by_target = {s["target"]: s for s in statuses}
    assert len(statuses) == len(by_target) == 4
    assert by_target["192.0.2.11"]["ok"] is True
    for silent in ("192.0.2.12", "192.0.2.13", "192.0.2.14"):
        assert by_target[silent]["ok"] is False
        assert "no SNMP response" in by_target[silent]["reason"]
    # Credentials never leak into statuses.
    assert all("public" not in s["reason"] for s in statuses)


def test_hosts_without_an_agent_are_told_apart_by_icmp(swept: dict[str, Any]) -> None:
    # lab-h2..h4 run no SNMP agent: their kernels answer ICMP port unreachable, which ends the
    # credential search at once instead of after the fast and patient timeouts.
    statuses = {s["target"]: s for b in swept["batches"] for s in b["statuses"] if s["method"] == "snmp"}
    for silent in ("192.0.2.12", "192.0.2.13", "192.0.2.14"):
        assert "ICMP port unreachable" in statuses[silent]["reason"]
    # The agent's own status says how much was read and that empty tables were skipped.
    assert "tables walked" in statuses["192.0.2.11"]["reason"]
    assert "empty" in statuses["192.0.2.11"]["reason"]

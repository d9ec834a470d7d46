"""L2 bindings and special addresses, table-driven (pure: no packets)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.scan.binding import Answer, bind, bindings
from agent.scan.model import L2Binding, Method, Observation, SeenVia
from agent.scan.targets import LocalAddresses, special_reason, without_special

T = datetime(2026, 12, 1, tzinfo=UTC)


def answers(*pairs: tuple[str, str], how: str = "arp") -> list[Answer]:
    return [Answer(ip, mac, how, T + timedelta(milliseconds=n)) for n, (ip, mac) in enumerate(pairs)]


# name -> (answers, expected bound {ip: mac}, expected refused ips -> a word of the reason)
CASES: dict[str, tuple[list[Answer], dict[str, str], dict[str, str]]] = {
    "one MAC per address binds": (
        answers(("192.0.2.1", "00:1b:21:0a:00:01"), ("192.0.2.2", "00:1b:21:0a:00:02")),
        {"192.0.2.1": "00:1b:21:0a:00:01", "192.0.2.2": "00:1b:21:0a:00:02"}, {}),
    "a host with a few addresses on the segment still binds": (
        answers(*((f"192.0.2.{n}", "00:1b:21:0a:00:01") for n in range(1, 9))),
        {f"192.0.2.{n}": "00:1b:21:0a:00:01" for n in range(1, 9)}, {}),
    "proxy ARP for a whole /24 binds nothing": (
        answers(*((f"192.0.2.{n}", "00:1b:21:0a:00:fe") for n in range(1, 255))),
        {}, {f"192.0.2.{n}": "proxy ARP" for n in range(1, 255)}),
    "VRRP virtual MAC never binds": (
        answers(("192.0.2.1", "00:00:5e:00:01:07")), {}, {"192.0.2.1": "VRRP"}),
    "VRRP IPv6 / CARP MAC never binds": (
        answers(("192.0.2.1", "00:00:5e:00:02:07")), {}, {"192.0.2.1": "VRRP"}),
    "HSRP v1 and v2 MACs never bind": (
        answers(("192.0.2.1", "00:00:0c:07:ac:0a"), ("192.0.2.2", "00:00:0c:9f:f0:0a")), {},
        {"192.0.2.1": "HSRP", "192.0.2.2": "HSRP"}),
    "a randomised MAC never binds": (
        answers(("192.0.2.9", "da:a1:19:00:00:01")), {}, {"192.0.2.9": "locally administered"}),
    "an address answered by two MACs binds neither": (
        answers(("192.0.2.7", "00:1b:21:0a:00:07"), ("192.0.2.7", "00:1b:21:0a:00:77")), {},
        {"192.0.2.7": "2 MACs"}),
    "the same answer twice is one answer": (
        answers(("192.0.2.7", "00:1b:21:0a:00:07"), ("192.0.2.7", "00-1B-21-0A-00-07")),
        {"192.0.2.7": "00:1b:21:0a:00:07"}, {}),
}


@pytest.mark.parametrize("name", CASES)
def test_bindings(name: str) -> None:
    given, bound, refused = CASES[name]
    made, why = bindings(given)
    assert {ip: b.mac for ip, b in made.items()} == bound
    assert set(why) == set(refused)
    for ip, word in refused.items():
        assert word in why[ip]


def test_the_proxy_arp_threshold_is_an_option() -> None:
    given = answers(*((f"192.0.2.{n}", "00:1b:21:0a:00:01") for n in range(1, 4)))
    assert len(bindings(given, max_addresses_per_mac=3)[0]) == 3
    assert bindings(given, max_addresses_per_mac=2)[0] == {}


def test_a_binding_keeps_how_and_when_it_was_learnt() -> None:
    made, _ = bindings(answers(("192.0.2.5", "00:1b:21:0a:00:05"), how="nmap"))
    assert made["192.0.2.5"] == L2Binding("00:1b:21:0a:00:05", "nmap", T)


@pytest.mark.parametrize(("obs", "bound"), [
    (Observation(method=Method.SNMP, seen_at=T, ip="192.0.2.5"), True),
    (Observation(method=Method.NMAP, seen_at=T, ip="192.0.2.5"), True),
    (Observation(method=Method.SNMP, seen_at=T, ip="192.0.2.6"), False),  # not answered on our segment
    (Observation(method=Method.ARP, seen_at=T, ip="192.0.2.5", mac="00:1b:21:0a:00:05"), False),
    # A router's ARP cache entry says what the router saw, not what answered us.
    (Observation(method=Method.SNMP_ARP_CACHE, seen_at=T, ip="192.0.2.5", seen_via=SeenVia("192.0.2.1")), False),
], ids=["snmp", "nmap", "routed", "arp-itself", "table-entry"])
def test_only_the_device_answering_snmp_or_nmap_is_bound(obs: Observation, bound: bool) -> None:
    made = {"192.0.2.5": L2Binding("00:1b:21:0a:00:05", "arp", T)}
    assert (bind(obs, made).l2_binding is not None) is bound


NET = ipaddress.IPv4Network("192.0.2.0/24")
HERE = LocalAddresses(frozenset({"192.0.2.2"}), (ipaddress.IPv4Network("198.51.100.0/25"),))


@pytest.mark.parametrize(("addr", "target", "reason"), [
    ("127.0.0.1", "127.0.0.1/32", "loopback"),
    ("127.1.2.3", "127.0.0.0/24", "loopback"),
    ("169.254.10.1", "169.254.10.0/24", "link-local"),
    ("224.0.0.251", "224.0.0.251/32", "multicast"),
    ("239.255.255.250", "239.255.255.250/32", "multicast"),
    ("255.255.255.255", "255.255.255.255/32", "limited broadcast"),
    ("0.0.0.0", "0.0.0.0/32", "unspecified"),
    ("192.0.2.2", "192.0.2.0/24", "scanner's own address"),
    ("192.0.2.255", "192.0.2.248/29", "directed broadcast"),   # of the target's network
    ("198.51.100.127", "198.51.100.127/32", "directed broadcast"),  # of a network the scanner is on
    ("192.0.2.7", "192.0.2.0/24", ""),
    ("198.51.100.126", "198.51.100.126/32", ""),
    ("192.0.2.1", "192.0.2.0/31", ""),  # RFC 3021: a /31 has no broadcast
])
def test_special_reason(addr: str, target: str, reason: str) -> None:
    assert special_reason(addr, ipaddress.IPv4Network(target), HERE) == reason


def test_without_special_drops_wholly_special_targets_and_counts_by_reason() -> None:
    from agent.scan.targets import parse_targets

    kept, skipped = without_special(parse_targets(["127.0.0.1", "192.0.2.0/30", "169.254.0.0/30"], resolve=False),
                                    HERE)
    assert [(t.spec, t.addresses) for t in kept] == [("192.0.2.0/30", ("192.0.2.1",))]
    assert skipped == {"loopback": ["127.0.0.1"], "scanner's own address": ["192.0.2.2"],
                       "link-local": ["169.254.0.1", "169.254.0.2"]}


def test_the_threshold_is_set_in_a_schedule_file_or_refused_when_not_positive(tmp_path: Path) -> None:
    from agent.errors import ConfigError
    from agent.scan.options import SweepOptions
    from agent.scan.schedule import load_scan_config

    config = tmp_path / "scan.toml"
    config.write_text('[defaults]\nmax_addresses_per_mac = 3\n[[job]]\nname = "lan"\ntargets = ["192.0.2.0/24"]\n'
                      'methods = ["arp"]\n', encoding="utf-8")
    assert load_scan_config(config).jobs[0].options.max_addresses_per_mac == 3
    assert SweepOptions().max_addresses_per_mac == 8
    with pytest.raises(ConfigError, match="max_addresses_per_mac must be positive"):
        SweepOptions(max_addresses_per_mac=0)


# What `ip -json -4 neigh show` prints (iproute2 6.x), trimmed.
IP_NEIGH = """[{"dst":"192.0.2.21","dev":"eth0","lladdr":"00:1b:21:0f:00:15","state":["REACHABLE"]},
{"dst":"192.0.2.22","dev":"eth0","lladdr":"00:1b:21:0f:00:16","state":["STALE"]},
{"dst":"192.0.2.23","dev":"eth0","state":["FAILED"]},
{"dst":"192.0.2.24","dev":"eth0","lladdr":"00:1b:21:0f:00:18","state":["DELAY"]},
{"dst":"192.0.2.25","dev":"eth0","lladdr":"00:1b:21:0f:00:19","state":["REACHABLE"]}]"""


def test_only_reachable_neighbours_count() -> None:
    from agent.scan.neighbours import reachable

    assert reachable(IP_NEIGH) == [("192.0.2.21", "00:1b:21:0f:00:15"), ("192.0.2.25", "00:1b:21:0f:00:19")]
    assert reachable("") == [] and reachable("not json") == [] and reachable('{"dst": 1}') == []


def test_a_neighbour_watch_counts_every_address_of_a_mac_it_saw() -> None:
    """A proxy-ARP router's MAC shows for many addresses: all of them count against the threshold."""
    from agent.scan.neighbours import NeighbourWatch

    table = "[" + ",".join(f'{{"dst":"192.0.2.{n}","lladdr":"00:1b:21:0a:00:fe","state":["REACHABLE"]}}'
                           for n in range(1, 40)) + "]"
    with NeighbourWatch(["192.0.2.5"], lambda: table, poll_s=0.01) as watch:
        pass
    made, refused = bindings(watch.answers())
    assert "192.0.2.5" not in made and "proxy ARP" in refused["192.0.2.5"]

"""L2 bindings: tie what answered SNMP or nmap at an address to the MAC that answered ARP for it.

Why the scanner makes the binding: only the scanner knows that, in one sweep, it resolved an
address to a MAC on its own segment and then talked to that same address. A device's SNMP agent
describes the device in its own words (interface MACs, sysName) and none of them need equal the
MAC that answered ARP, so without the binding the collector sees two unrelated things. With it,
the observation carries the MAC and the collector joins the two (match key "l2-binding").

A binding is made only where the MAC stands for one machine:

* the MAC is a global (universally administered) unicast MAC: a randomised MAC is not identity;
* it is not a virtual-router MAC, which two routers share by design (VRRP RFC 5798 section 7.3
  00-00-5E-00-01-{VRID} for IPv4 and 00-00-5E-00-02-{VRID} for IPv6, which OpenBSD's CARP uses too;
  Cisco HSRP version 1 0000.0c07.acXX and version 2 0000.0c9f.fXXX; Cisco GLBP 0007.b400.XXYY);
* it answered for at most `max_addresses_per_mac` addresses of the sweep (a router doing proxy ARP
  answers for every address behind it with its own MAC: binding them would merge a subnet);
* the address was answered by that one MAC only (two MACs for one address: a conflict or spoofing).

Bindings hold for one sweep: a scanner builds them afresh from each sweep's answers, so an address
that changes hands between sweeps (DHCP) binds each sweep's responder to its own MAC.
Pure: the sweep feeds it the answers it saw (ARP, nmap's ARP, or the kernel's neighbour table when no
ARP ran: neighbours.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from agent.scan.classify import mac_class, normalise_mac
from agent.scan.model import L2Binding, Method, Observation

# A machine with several addresses on one segment (secondary addresses, a few virtual hosts) is
# normal; a MAC answering for more than MAX_ADDRESSES_PER_MAC (8) addresses of one sweep is proxy
# ARP or a gateway answering for what sits behind it (SweepOptions.max_addresses_per_mac overrides).
from agent.scan.options import MAX_ADDRESSES_PER_MAC

# (prefix, what) of the MACs routers share for a virtual gateway; see the module docstring.
_VIRTUAL_ROUTER_PREFIXES = (
    ("00:00:5e:00:01:", "VRRP/CARP virtual-router MAC"),
    ("00:00:5e:00:02:", "VRRP/CARP virtual-router MAC"),
    ("00:00:0c:07:ac:", "HSRP virtual-router MAC"),
    ("00:00:0c:9f:f", "HSRP virtual-router MAC"),
    ("00:07:b4:00:", "GLBP virtual-router MAC"),
)

# Methods whose observation of the device itself may carry a binding (never a table entry read
# from another device: that one says what *it* saw, not what answered us).
BINDABLE = frozenset({Method.SNMP, Method.NMAP})


def virtual_router(mac: str) -> str:
    """What kind of shared virtual-router MAC `mac` is, or "" when it is none."""
    norm = normalise_mac(mac)
    return next((what for prefix, what in _VIRTUAL_ROUTER_PREFIXES if norm.startswith(prefix)), "")


def unbindable(mac: str) -> str:
    """Why `mac` can never bind an address to a machine, or "" when it can."""
    cls = mac_class(mac)
    if cls != "global":
        return f"{cls} MAC" if cls != "local" else "locally administered MAC"
    return virtual_router(mac)


@dataclass(frozen=True, slots=True)
class Answer:
    """One address answered by one MAC on the scanner's segment."""

    ip: str
    mac: str
    learnt_by: str
    seen_at: datetime


def bindings(answers: Iterable[Answer], *, max_addresses_per_mac: int = MAX_ADDRESSES_PER_MAC,
             ) -> tuple[dict[str, L2Binding], dict[str, str]]:
    """The bindings a sweep may make from its L2 answers.

    Returns:
        (address -> binding, address -> why it got none) for every address that was answered.
    """
    macs_of: dict[str, dict[str, Answer]] = {}   # ip -> mac -> earliest answer
    ips_of: dict[str, set[str]] = {}             # mac -> ips it answered for
    for a in answers:
        mac = normalise_mac(a.mac)
        if not a.ip or not mac:
            continue
        seen = macs_of.setdefault(a.ip, {})
        if mac not in seen or a.seen_at < seen[mac].seen_at:
            seen[mac] = replace(a, mac=mac)
        ips_of.setdefault(mac, set()).add(a.ip)
    bound: dict[str, L2Binding] = {}
    refused: dict[str, str] = {}
    for ip, by_mac in macs_of.items():
        if len(by_mac) > 1:
            refused[ip] = f"answered by {len(by_mac)} MACs ({', '.join(sorted(by_mac))})"
            continue
        mac, answer = next(iter(by_mac.items()))
        why = unbindable(mac)
        if not why and len(ips_of[mac]) > max_addresses_per_mac:
            why = (f"{mac} answered for {len(ips_of[mac])} addresses (more than {max_addresses_per_mac}: "
                   "proxy ARP or a gateway)")
        if why:
            refused[ip] = why
        else:
            bound[ip] = L2Binding(mac=mac, learnt_by=answer.learnt_by, seen_at=answer.seen_at)
    return bound, refused


def answer_of(obs: Observation) -> Answer | None:
    """The L2 answer an observation of a discovering method carries (ARP, or nmap's own ARP), if any."""
    if obs.seen_via is not None or not obs.ip or not obs.mac:
        return None
    if obs.method is Method.ARP:
        return Answer(obs.ip, obs.mac, "arp", obs.seen_at)
    if obs.method is Method.NMAP:
        return Answer(obs.ip, obs.mac, "nmap", obs.seen_at)
    return None


def bind(obs: Observation, bound: dict[str, L2Binding]) -> Observation:
    """`obs` with its address's binding attached, when it is the device itself answering SNMP or nmap."""
    if obs.method not in BINDABLE or obs.seen_via is not None or obs.l2_binding is not None:
        return obs
    binding = bound.get(obs.ip)
    return obs if binding is None else replace(obs, l2_binding=binding)

"""Target parsing: CIDRs, single addresses, dash ranges and host names, minus exclusions.

Kept apart from the scanners so that every scanner receives the same, already-validated
address lists, and so that a typo is a one-line ConfigError before any packet is sent.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agent.errors import ConfigError

# A /16 is 65,534 hosts: already a long ARP sweep at a polite rate. Larger targets are almost
# always a typo (a /8 instead of a /24), so they are refused rather than silently sent.
MAX_ADDRESSES = 65536

IPv4Net = ipaddress.IPv4Network


@dataclass(frozen=True, slots=True)
class Target:
    """One command-line target and the IPv4 addresses it stands for (exclusions removed)."""

    spec: str
    network: IPv4Net
    addresses: tuple[str, ...]

    @property
    def is_single_host(self) -> bool:
        """True for a lone address or host name (SNMP always queries those)."""
        return self.network.prefixlen == 32


def parse_networks(specs: Iterable[str], *, what: str = "exclude") -> tuple[IPv4Net, ...]:
    """Parse addresses/CIDRs (used for exclusions); raises ConfigError naming the bad entry."""
    nets = []
    for spec in specs:
        try:
            nets.append(ipaddress.IPv4Network(spec.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"{what}: {spec!r} is not an IPv4 address or CIDR ({exc})") from exc
    return tuple(nets)


def _range(spec: str) -> list[ipaddress.IPv4Address]:
    # "192.0.2.10-20" or "192.0.2.10-192.0.2.20", as nmap accepts for the last octet.
    first, last = spec.split("-", 1)
    start = ipaddress.IPv4Address(first.strip())
    if "." in last:
        end = ipaddress.IPv4Address(last.strip())
    else:
        end = ipaddress.IPv4Address((int(start) & 0xFFFFFF00) | int(last))
    if end < start:
        raise ValueError(f"range end {end} is before its start {start}")
    if int(end) - int(start) + 1 > MAX_ADDRESSES:
        raise ValueError("range is larger than 65536 addresses")
    return [ipaddress.IPv4Address(i) for i in range(int(start), int(end) + 1)]


def parse_target(spec: str, exclude: Sequence[IPv4Net] = (), *, resolve: bool = True) -> Target:
    """Turn one target spec into a Target.

    Args:
        spec: "192.0.2.0/24", "192.0.2.7", "192.0.2.10-20" or a host name.
        exclude: networks whose addresses are dropped from the result.
        resolve: allow DNS for host names (tests pass False to stay off the network).

    Raises:
        ConfigError: the spec is malformed, too large, or a name does not resolve.
    """
    text = spec.strip()
    if not text:
        raise ConfigError("target: empty target")
    try:
        if "/" in text:
            net = ipaddress.IPv4Network(text, strict=False)
            if net.num_addresses > MAX_ADDRESSES:
                raise ConfigError(f"target {text}: larger than a /16; split it or narrow it")
            # RFC 1812: network and broadcast addresses of a /30 or larger are not hosts.
            addrs = list(net.hosts()) if net.prefixlen < 31 else list(net)
        elif "-" in text and text.replace("-", "").replace(".", "").isdigit():
            addrs = _range(text)
            net = ipaddress.IPv4Network(f"{addrs[0]}/{_covering_prefix(addrs)}", strict=False)
        else:
            try:
                addrs = [ipaddress.IPv4Address(text)]
            except ValueError:
                if not resolve:
                    raise
                try:
                    addrs = [ipaddress.IPv4Address(socket.gethostbyname(text))]
                except OSError as exc:
                    raise ConfigError(f"target {text}: host name does not resolve ({exc})") from exc
            net = ipaddress.IPv4Network(f"{addrs[0]}/32")
    except ValueError as exc:
        raise ConfigError(f"target {text!r}: not an IPv4 address, CIDR, range or host name ({exc})") from exc
    kept = tuple(str(a) for a in addrs if not any(a in ex for ex in exclude))
    return Target(spec=text, network=net, addresses=kept)


def _covering_prefix(addrs: Sequence[ipaddress.IPv4Address]) -> int:
    lo, hi = int(addrs[0]), int(addrs[-1])
    prefix = 32
    while prefix > 0 and (lo >> (32 - prefix)) != (hi >> (32 - prefix)):
        prefix -= 1
    return prefix


def parse_targets(specs: Sequence[str], exclude: Sequence[str] = (), *, resolve: bool = True) -> tuple[Target, ...]:
    """Parse every target; duplicates across targets are kept once (first target wins)."""
    if not specs:
        raise ConfigError("scan: no targets given (name a CIDR, address, range or host)")
    ex = parse_networks(exclude)
    seen: set[str] = set()
    out = []
    for spec in specs:
        tgt = parse_target(spec, ex, resolve=resolve)
        fresh = tuple(a for a in tgt.addresses if a not in seen)
        seen.update(fresh)
        out.append(Target(spec=tgt.spec, network=tgt.network, addresses=fresh))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class LocalAddresses:
    """The scanner host's own IPv4 addresses and the networks they sit on (special-address checks)."""

    addresses: frozenset[str] = frozenset()
    networks: tuple[IPv4Net, ...] = ()

    @classmethod
    def of_this_host(cls) -> LocalAddresses:
        """Read them from the host's interfaces; none when they cannot be listed (nothing is skipped then)."""
        from agent.errors import CollectionError
        from agent.facts import _psutil

        try:
            ifaces = _psutil.interfaces()
        except CollectionError:
            return cls()
        addrs: set[str] = set()
        nets: list[IPv4Net] = []
        for iface in ifaces:
            for a in iface.addresses:
                if a.family != socket.AF_INET:
                    continue
                addrs.add(a.address)
                try:
                    nets.append(ipaddress.IPv4Network(f"{a.address}/{a.netmask}", strict=False))
                except ValueError:
                    continue
        return cls(frozenset(addrs), tuple(nets))


_LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def special_reason(addr: str, target: IPv4Net, local: LocalAddresses) -> str:
    """Why an address can never be a device worth probing, or "" when it can be.

    Loopback (127/8), link-local (169.254/16, RFC 3927: every host picks its own, so an address there
    names nobody), multicast (224/4), the limited broadcast, the directed broadcast of the target's
    network or of a network the scanner sits on (RFC 919/922), the unspecified address and the
    scanner's own addresses: none is a machine on the network, and a probe of them is answered (if at
    all) by the scanner itself or by many hosts at once.
    """
    ip = ipaddress.IPv4Address(addr)
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip == _LIMITED_BROADCAST:
        return "limited broadcast"
    if ip.is_unspecified:
        return "unspecified"
    if addr in local.addresses:
        return "scanner's own address"
    if (target.prefixlen < 31 and ip == target.broadcast_address) or any(
            n.prefixlen < 31 and ip == n.broadcast_address for n in local.networks):
        return "directed broadcast"
    return ""


def without_special(targets: Sequence[Target], local: LocalAddresses,
                    ) -> tuple[tuple[Target, ...], dict[str, list[str]]]:
    """The targets with special addresses removed, and those addresses by reason (see special_reason).

    A target left with no address *because* every one was special (127.0.0.1, 169.254.0.0/16) is
    dropped altogether, so that the sweep never lists it as swept (coverage).
    """
    kept: list[Target] = []
    skipped: dict[str, list[str]] = {}
    for tgt in targets:
        addrs: list[str] = []
        for a in tgt.addresses:
            why = special_reason(a, tgt.network, local)
            if why:
                skipped.setdefault(why, []).append(a)
            else:
                addrs.append(a)
        if addrs or not tgt.addresses:
            kept.append(Target(spec=tgt.spec, network=tgt.network, addresses=tuple(addrs)))
    return tuple(kept), skipped

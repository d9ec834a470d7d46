"""Which assets `netcensus assets --host/--subnet/--type/--vendor/--unrecorded` keeps.

One predicate for both ways of asking: with `--db` the rows come from a local refresh, with
`--collector` from the Query service, and the same filter runs on either, so the two answer alike.
Values within one option are alternatives (any may match); different options must all hold.
Host names and vendors are matched as case-insensitive shell globs, because people type what they
remember ("web-*", "cisco") and names from the network come in any case.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collector.domain.findings import AssetRow
from collector.errors import UsageError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _split(values: Iterable[str]) -> tuple[str, ...]:
    """Repeated options and comma-separated lists alike, lower-cased, blanks dropped."""
    return tuple(v.strip().lower() for spec in values for v in spec.split(",") if v.strip())


def parse_networks(values: Iterable[str], option: str = "--subnet") -> tuple[Network, ...]:
    """CIDRs (or single addresses) from the command line; a bad one is a one-line usage error."""
    networks = []
    for text in _split(values):
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise UsageError(f"{option} {text!r} is not a CIDR such as 192.0.2.0/24") from exc
    return tuple(networks)


def in_networks(ip: str | None, networks: Sequence[Network]) -> bool:
    """True when `ip` is an address inside one of `networks` (a malformed one is inside none)."""
    try:
        addr = ipaddress.ip_address(str(ip))
    except ValueError:
        return False
    return any(addr.version == n.version and addr in n for n in networks)


@dataclass(frozen=True, slots=True)
class AssetFilter:
    """The asset filters of the command line; an empty filter keeps every asset."""

    hosts: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()
    types: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    unrecorded: bool = False

    @classmethod
    def parse(cls, *, hosts: Iterable[str] = (), subnets: Iterable[str] = (), types: Iterable[str] = (),
              vendors: Iterable[str] = (), unrecorded: bool = False) -> AssetFilter:
        """From the raw option values (repeatable, comma-separated); raises UsageError on a bad CIDR."""
        return cls(hosts=_split(hosts), networks=parse_networks(subnets), types=_split(types),
                   vendors=_split(vendors), unrecorded=unrecorded)

    def matches(self, row: AssetRow) -> bool:
        """True when `row` passes every given filter."""
        if self.hosts and not any(fnmatch.fnmatchcase(h.lower(), g) for h in row.hostnames for g in self.hosts):
            return False
        if self.networks and not any(in_networks(ip, self.networks) for ip in row.ips):
            return False
        if self.types and (row.device_type or "").lower() not in self.types:
            return False
        if self.vendors and not any(fnmatch.fnmatchcase((row.vendor or "").lower(), g) for g in self.vendors):
            return False
        # Unrecorded: no register record matched the asset (a zombie candidate, whatever its status).
        return not (self.unrecorded and (row.matched_by is not None or row.status is not None))

    def apply(self, rows: Iterable[AssetRow]) -> list[AssetRow]:
        """The rows that pass, in their order."""
        return [row for row in rows if self.matches(row)]

"""Security posture an agent reported about its machine, as the collector keeps it (frozen values).

Each part is None when it is unknown: no agent reported it, or the agent's collector for it did not
run to completion (the report's CollectorStatus). "Unknown" is never read as "off" or "none": a
posture finding needs a collector that ran and said so (proto SecurityFacts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ListeningSocket:
    """A socket accepting connections, as the agent saw it ("tcp" or "udp", IPv6 folded in)."""

    protocol: str
    address: str
    port: int
    process: str

    @property
    def loopback_only(self) -> bool:
        """Bound to a loopback address: not reachable from the network."""
        address = self.address.strip("[]")
        return address.startswith("127.") or address in ("::1", "localhost")

    def describe(self) -> str:
        """e.g. "tcp 0.0.0.0:22 (sshd)"."""
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.protocol} {address}:{self.port}" + (f" ({self.process})" if self.process else "")


@dataclass(frozen=True, slots=True)
class Posture:
    """One machine's posture from its freshest agent report."""

    subject: str                                      # 'agent:<source_id>'
    source_id: str
    reported_at: datetime
    pending_updates: tuple[str, ...] | None           # "openssl 3.0.11-1 -> 3.0.13-1 (bookworm-security)"
    oldest_pending_since: datetime | None             # first report that listed the longest-pending update
    disk_encrypted: bool | None                       # root file system on an encrypted device
    firewall_active: bool | None                      # some host firewall has rules loaded now
    firewalls: tuple[str, ...] | None                 # "nftables (active, enabled, 12 rules)"
    endpoint_protection: tuple[str, ...] | None       # "CrowdStrike Falcon (running)"
    listening: tuple[str, ...] | None                 # every socket: "tcp 0.0.0.0:22 (sshd)"
    exposed: tuple[ListeningSocket, ...] | None       # the sockets not bound to loopback

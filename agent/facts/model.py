"""Frozen value objects for what an agent knows about its machine.

These are the agent's own domain types. They never leave the agent as Python objects: the
transport's pure encoder (agent/transport/encode.py) turns them into netcensus.v1 messages.
Empty strings and zeros mean "unknown" throughout, mirroring proto3 defaults, so that the
encoder needs no None handling.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OsInfo:
    """Operating system: family ("linux", "windows", "macos"), distribution, kernel, arch."""

    family: str = ""
    name: str = ""
    version: str = ""
    kernel: str = ""
    arch: str = ""
    id: str = ""


@dataclass(frozen=True, slots=True)
class Hardware:
    """System identity from firmware. Placeholder values are already blanked (see identifiers.py)."""

    vendor: str = ""
    model: str = ""
    serial: str = ""
    system_uuid: str = ""
    bios_version: str = ""
    bios_date: str = ""
    chassis_type: str = ""


@dataclass(frozen=True, slots=True)
class Cpu:
    """Processor model and counts."""

    model: str = ""
    cores: int = 0
    threads: int = 0


@dataclass(frozen=True, slots=True)
class Disk:
    """One block device that is a real disk."""

    name: str
    model: str = ""
    serial: str = ""
    size_bytes: int = 0


@dataclass(frozen=True, slots=True)
class NetworkInterface:
    """One interface; `addresses` are CIDR strings such as "192.0.2.10/24"."""

    name: str
    mac: str = ""
    addresses: tuple[str, ...] = ()
    is_virtual: bool = False
    speed_mbps: int = 0
    is_up: bool = False


@dataclass(frozen=True, slots=True)
class LoggedInUser:
    """One login session: who, on which terminal, from where, since when."""

    name: str
    terminal: str = ""
    host: str = ""
    started: datetime | None = None


@dataclass(frozen=True, slots=True)
class ListeningPort:
    """A socket accepting connections (TCP LISTEN) or datagrams (bound, unconnected UDP).

    `address` is the bound address ("0.0.0.0", "::", "127.0.0.1"); `pid` 0 and `process` ""
    mean the owner could not be seen (another user's process when the agent is not root).
    """

    protocol: str
    address: str
    port: int
    pid: int = 0
    process: str = ""


@dataclass(frozen=True, slots=True)
class EndpointProtection:
    """A known endpoint-protection product found on the machine, with what gave it away.

    `evidence` holds strings such as "deb:falcon-sensor", "process:falcon-sensor",
    "path:/opt/CrowdStrike"; `running` is True when one of its processes was seen.
    """

    product: str
    vendor: str = ""
    running: bool = False
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EncryptedVolume:
    """A dm-crypt mapping that is open, or one /etc/crypttab configures.

    `kind` is "luks1", "luks2", "plain", "bitlk", "tcrypt" (from the dm UUID prefix) or "" when
    only crypttab names it; `backing` the underlying block device(s).
    """

    name: str
    kind: str = ""
    backing: tuple[str, ...] = ()
    active: bool = False
    configured: bool = False


@dataclass(frozen=True, slots=True)
class DiskEncryption:
    """Volumes under dm-crypt and whether the root filesystem sits on one of them."""

    volumes: tuple[EncryptedVolume, ...] = ()
    root_encrypted: bool = False


@dataclass(frozen=True, slots=True)
class Firewall:
    """One host firewall mechanism: "nftables", "iptables", "ufw", "firewalld", "macos-alf".

    `enabled` means configured to start at boot; `active` that rules are loaded now (or the
    firewall daemon runs); `rules` counts loaded rules where they could be read (else the
    configured ones), 0 when unknown.
    """

    name: str
    enabled: bool = False
    active: bool = False
    rules: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    """An installed package for which a security suite offers a newer version."""

    name: str
    arch: str
    installed_version: str
    available_version: str
    suite: str = ""


@dataclass(frozen=True, slots=True)
class SecurityFacts:
    """Security posture the machine can tell about itself, offline.

    Each part comes from its own collector; whether an empty part means "none" or "could not
    tell" is in that collector's CollectorStatus (listening_ports, endpoint_protection,
    disk_encryption, firewall, security_updates).
    """

    listening: tuple[ListeningPort, ...] = ()
    endpoint_protection: tuple[EndpointProtection, ...] = ()
    disk_encryption: DiskEncryption = field(default_factory=DiskEncryption)
    firewalls: tuple[Firewall, ...] = ()
    pending_security_updates: tuple[PendingUpdate, ...] = ()
    # When apt last fetched the security suites (their Release file's mtime): pending updates
    # are only as current as that. None when unknown.
    security_lists_date: datetime | None = None
    security_suites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HostFacts:
    """Everything about the machine except its software."""

    hostname: str
    fqdn: str = ""
    os: OsInfo = field(default_factory=OsInfo)
    hardware: Hardware = field(default_factory=Hardware)
    cpu: Cpu = field(default_factory=Cpu)
    memory_bytes: int = 0
    interfaces: tuple[NetworkInterface, ...] = ()
    boot_time: datetime | None = None
    virtualization: str = ""
    disks: tuple[Disk, ...] = ()
    timezone: str = ""
    users: tuple[LoggedInUser, ...] = ()
    security: SecurityFacts = field(default_factory=SecurityFacts)


@dataclass(frozen=True, slots=True)
class SoftwareItem:
    """One installed package or product, in its source's own version scheme."""

    name: str
    version: str
    source: str
    vendor: str = ""
    arch: str = ""
    source_package: str = ""
    installed_at: datetime | None = None
    purl: str = ""


class CollectorState(enum.Enum):
    """Outcome of one collector run; values match netcensus.v1.CollectorState names."""

    OK = "ok"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    """How one collector fared: the collector side must never read FAILED as 'software removed'."""

    name: str
    state: CollectorState
    duration_ms: int = 0
    items: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Neighbour:
    """An entry of the host's own ARP/NDP table."""

    ip: str
    mac: str
    interface: str = ""
    state: str = ""


@dataclass(frozen=True, slots=True)
class Inventory:
    """One complete collection run: facts, software, per-collector status and neighbours."""

    facts: HostFacts
    software: tuple[SoftwareItem, ...] = ()
    collectors: tuple[CollectorStatus, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()

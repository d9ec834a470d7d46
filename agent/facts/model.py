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

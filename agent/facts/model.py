"""Frozen value objects for what an agent knows about its machine.

These are the agent's own domain types. They never leave the agent as Python objects: the
transport's pure encoder (agent/transport/encode.py) turns them into netcensus.v1 messages.
Empty strings and zeros mean "unknown" throughout, mirroring proto3 defaults, so that the
encoder needs no None handling.

They are plain classes with __slots__ on one small base (Record) rather than frozen dataclasses:
the dataclass decorator compiles five or six generated methods per class at import, which for
twenty classes was about a tenth of a one-shot `netcensus-agent facts` run. Record gives them
what the dataclasses gave (fields in declaration order, equality and hashing over them, a
readable repr, no assignment after construction). SoftwareItem stays a dataclass because the
transport's baseline file is written with dataclasses.asdict().
"""

# ruff: noqa: RUF023 - each __slots__ lists the fields in declaration order, which is the field order

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

_set = object.__setattr__


class Record:
    """Base of the value objects: immutable, compared and hashed by field values in __slots__ order.

    Subclasses declare `__slots__` (the field names, in order), annotate each field and write an
    `__init__` that hands its arguments to `_set_fields` in that same order.
    """

    __slots__: tuple[str, ...] = ()

    def _set_fields(self, *values: object) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            _set(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple([getattr(self, name) for name in self.__slots__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{self.__class__.__qualname__}({fields})"

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"cannot assign to field {name!r} of frozen {self.__class__.__name__}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"cannot delete field {name!r} of frozen {self.__class__.__name__}")

    def __reduce__(self) -> tuple[type[Record], tuple[object, ...]]:
        # Pickling and copy.copy rebuild through __init__, since setting slots afterwards is refused.
        return self.__class__, self._values()


class OsInfo(Record):
    """Operating system: family ("linux", "windows", "macos"), distribution, kernel, arch."""

    __slots__ = ("family", "name", "version", "kernel", "arch", "id")
    family: str
    name: str
    version: str
    kernel: str
    arch: str
    id: str

    def __init__(self, family: str = "", name: str = "", version: str = "", kernel: str = "", arch: str = "",
                 id: str = "") -> None:
        self._set_fields(family, name, version, kernel, arch, id)


_NO_OS = OsInfo()


class Hardware(Record):
    """System identity from firmware. Placeholder values are already blanked (see identifiers.py)."""

    __slots__ = ("vendor", "model", "serial", "system_uuid", "bios_version", "bios_date", "chassis_type")
    vendor: str
    model: str
    serial: str
    system_uuid: str
    bios_version: str
    bios_date: str
    chassis_type: str

    def __init__(self, vendor: str = "", model: str = "", serial: str = "", system_uuid: str = "",
                 bios_version: str = "", bios_date: str = "", chassis_type: str = "") -> None:
        self._set_fields(vendor, model, serial, system_uuid, bios_version, bios_date, chassis_type)


_NO_HARDWARE = Hardware()


class Cpu(Record):
    """Processor model and counts."""

    __slots__ = ("model", "cores", "threads")
    model: str
    cores: int
    threads: int

    def __init__(self, model: str = "", cores: int = 0, threads: int = 0) -> None:
        self._set_fields(model, cores, threads)


_NO_CPU = Cpu()


class Disk(Record):
    """One block device that is a real disk."""

    __slots__ = ("name", "model", "serial", "size_bytes")
    name: str
    model: str
    serial: str
    size_bytes: int

    def __init__(self, name: str, model: str = "", serial: str = "", size_bytes: int = 0) -> None:
        self._set_fields(name, model, serial, size_bytes)


class NetworkInterface(Record):
    """One interface; `addresses` are CIDR strings such as "192.0.2.10/24"."""

    __slots__ = ("name", "mac", "addresses", "is_virtual", "speed_mbps", "is_up")
    name: str
    mac: str
    addresses: tuple[str, ...]
    is_virtual: bool
    speed_mbps: int
    is_up: bool

    def __init__(self, name: str, mac: str = "", addresses: tuple[str, ...] = (), is_virtual: bool = False,
                 speed_mbps: int = 0, is_up: bool = False) -> None:
        self._set_fields(name, mac, addresses, is_virtual, speed_mbps, is_up)


class LoggedInUser(Record):
    """One login session: who, on which terminal, from where, since when."""

    __slots__ = ("name", "terminal", "host", "started")
    name: str
    terminal: str
    host: str
    started: datetime | None

    def __init__(self, name: str, terminal: str = "", host: str = "", started: datetime | None = None) -> None:
        self._set_fields(name, terminal, host, started)


class ListeningPort(Record):
    """A socket accepting connections (TCP LISTEN) or datagrams (bound, unconnected UDP).

    `address` is the bound address ("0.0.0.0", "::", "127.0.0.1"); `pid` 0 and `process` ""
    mean the owner could not be seen (another user's process when the agent is not root).
    """

    __slots__ = ("protocol", "address", "port", "pid", "process")
    protocol: str
    address: str
    port: int
    pid: int
    process: str

    def __init__(self, protocol: str, address: str, port: int, pid: int = 0, process: str = "") -> None:
        self._set_fields(protocol, address, port, pid, process)


class EndpointProtection(Record):
    """A known endpoint-protection product found on the machine, with what gave it away.

    `evidence` holds strings such as "deb:falcon-sensor", "process:falcon-sensor",
    "path:/opt/CrowdStrike"; `running` is True when one of its processes was seen.
    """

    __slots__ = ("product", "vendor", "running", "evidence")
    product: str
    vendor: str
    running: bool
    evidence: tuple[str, ...]

    def __init__(self, product: str, vendor: str = "", running: bool = False, evidence: tuple[str, ...] = ()) -> None:
        self._set_fields(product, vendor, running, evidence)


class EncryptedVolume(Record):
    """A dm-crypt mapping that is open, or one /etc/crypttab configures.

    `kind` is "luks1", "luks2", "plain", "bitlk", "tcrypt" (from the dm UUID prefix) or "" when
    only crypttab names it; `backing` the underlying block device(s).
    """

    __slots__ = ("name", "kind", "backing", "active", "configured")
    name: str
    kind: str
    backing: tuple[str, ...]
    active: bool
    configured: bool

    def __init__(self, name: str, kind: str = "", backing: tuple[str, ...] = (), active: bool = False,
                 configured: bool = False) -> None:
        self._set_fields(name, kind, backing, active, configured)


class DiskEncryption(Record):
    """Volumes under dm-crypt and whether the root filesystem sits on one of them."""

    __slots__ = ("volumes", "root_encrypted")
    volumes: tuple[EncryptedVolume, ...]
    root_encrypted: bool

    def __init__(self, volumes: tuple[EncryptedVolume, ...] = (), root_encrypted: bool = False) -> None:
        self._set_fields(volumes, root_encrypted)


_NO_ENCRYPTION = DiskEncryption()


class Firewall(Record):
    """One host firewall mechanism: "nftables", "iptables", "ufw", "firewalld", "macos-alf".

    `enabled` means configured to start at boot; `active` that rules are loaded now (or the
    firewall daemon runs); `rules` counts loaded rules where they could be read (else the
    configured ones), 0 when unknown.
    """

    __slots__ = ("name", "enabled", "active", "rules", "detail")
    name: str
    enabled: bool
    active: bool
    rules: int
    detail: str

    def __init__(self, name: str, enabled: bool = False, active: bool = False, rules: int = 0,
                 detail: str = "") -> None:
        self._set_fields(name, enabled, active, rules, detail)


class PendingUpdate(Record):
    """An installed package for which a security suite offers a newer version."""

    __slots__ = ("name", "arch", "installed_version", "available_version", "suite")
    name: str
    arch: str
    installed_version: str
    available_version: str
    suite: str

    def __init__(self, name: str, arch: str, installed_version: str, available_version: str, suite: str = "") -> None:
        self._set_fields(name, arch, installed_version, available_version, suite)


class SecurityFacts(Record):
    """Security posture the machine can tell about itself, offline.

    Each part comes from its own collector; whether an empty part means "none" or "could not
    tell" is in that collector's CollectorStatus (listening_ports, endpoint_protection,
    disk_encryption, firewall, security_updates).
    """

    __slots__ = ("listening", "endpoint_protection", "disk_encryption", "firewalls", "pending_security_updates",
                 "security_lists_date", "security_suites")
    listening: tuple[ListeningPort, ...]
    endpoint_protection: tuple[EndpointProtection, ...]
    disk_encryption: DiskEncryption
    firewalls: tuple[Firewall, ...]
    pending_security_updates: tuple[PendingUpdate, ...]
    # When apt last fetched the security suites (their Release file's mtime): pending updates
    # are only as current as that. None when unknown.
    security_lists_date: datetime | None
    security_suites: tuple[str, ...]

    def __init__(self, listening: tuple[ListeningPort, ...] = (),
                 endpoint_protection: tuple[EndpointProtection, ...] = (),
                 disk_encryption: DiskEncryption = _NO_ENCRYPTION, firewalls: tuple[Firewall, ...] = (),
                 pending_security_updates: tuple[PendingUpdate, ...] = (), security_lists_date: datetime | None = None,
                 security_suites: tuple[str, ...] = ()) -> None:
        self._set_fields(listening, endpoint_protection, disk_encryption, firewalls, pending_security_updates,
                         security_lists_date, security_suites)


_NO_SECURITY = SecurityFacts()


class HostFacts(Record):
    """Everything about the machine except its software."""

    __slots__ = ("hostname", "fqdn", "os", "hardware", "cpu", "memory_bytes", "interfaces", "boot_time",
                 "virtualization", "disks", "timezone", "users", "security")
    hostname: str
    fqdn: str
    os: OsInfo
    hardware: Hardware
    cpu: Cpu
    memory_bytes: int
    interfaces: tuple[NetworkInterface, ...]
    boot_time: datetime | None
    virtualization: str
    disks: tuple[Disk, ...]
    timezone: str
    users: tuple[LoggedInUser, ...]
    security: SecurityFacts

    def __init__(self, hostname: str, fqdn: str = "", os: OsInfo = _NO_OS, hardware: Hardware = _NO_HARDWARE,
                 cpu: Cpu = _NO_CPU, memory_bytes: int = 0, interfaces: tuple[NetworkInterface, ...] = (),
                 boot_time: datetime | None = None, virtualization: str = "", disks: tuple[Disk, ...] = (),
                 timezone: str = "", users: tuple[LoggedInUser, ...] = (),
                 security: SecurityFacts = _NO_SECURITY) -> None:
        self._set_fields(hostname, fqdn, os, hardware, cpu, memory_bytes, interfaces, boot_time, virtualization, disks,
                         timezone, users, security)


@dataclass(frozen=True, slots=True)
class SoftwareItem(Record):
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


class CollectorStatus(Record):
    """How one collector fared: the collector side must never read FAILED as 'software removed'."""

    __slots__ = ("name", "state", "duration_ms", "items", "reason")
    name: str
    state: CollectorState
    duration_ms: int
    items: int
    reason: str

    def __init__(self, name: str, state: CollectorState, duration_ms: int = 0, items: int = 0,
                 reason: str = "") -> None:
        self._set_fields(name, state, duration_ms, items, reason)


class Neighbour(Record):
    """An entry of the host's own ARP/NDP table."""

    __slots__ = ("ip", "mac", "interface", "state")
    ip: str
    mac: str
    interface: str
    state: str

    def __init__(self, ip: str, mac: str, interface: str = "", state: str = "") -> None:
        self._set_fields(ip, mac, interface, state)


class Inventory(Record):
    """One complete collection run: facts, software, per-collector status and neighbours."""

    __slots__ = ("facts", "software", "collectors", "neighbours")
    facts: HostFacts
    software: tuple[SoftwareItem, ...]
    collectors: tuple[CollectorStatus, ...]
    neighbours: tuple[Neighbour, ...]

    def __init__(self, facts: HostFacts, software: tuple[SoftwareItem, ...] = (),
                 collectors: tuple[CollectorStatus, ...] = (), neighbours: tuple[Neighbour, ...] = ()) -> None:
        self._set_fields(facts, software, collectors, neighbours)

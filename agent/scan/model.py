"""Frozen value objects for what a network sweep finds.

They mirror netcensus.v1.Observation / ScanResult field for field (empty string and 0 mean
unknown), and are turned into protobuf only by agent/transport/encode.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from agent.facts.model import NetworkInterface, SoftwareItem


class Method(enum.Enum):
    """How something was seen; values are the CLI spellings, names match netcensus.v1.Method."""

    ARP = "arp"
    NMAP = "nmap"
    SNMP = "snmp"
    SNMP_ARP_CACHE = "snmp-arp-cache"
    SNMP_FDB = "snmp-fdb"
    SNMP_LLDP = "snmp-lldp"
    AGENT_NEIGHBOUR = "agent-neighbour"


# The documented device-type vocabulary (DESIGN.md, issue 7): nothing else may be emitted.
DEVICE_TYPES = frozenset({
    "workstation", "laptop", "server", "router", "switch", "firewall", "wireless", "printer",
    "ups", "storage", "camera", "phone", "iot", "bmc", "virtual", "unknown",
})
# Its general-purpose computers: what they run is an OS anyone installs, not a product's firmware.
COMPUTER_TYPES = frozenset({"workstation", "laptop", "server", "virtual"})


@dataclass(frozen=True, slots=True)
class SnmpSystem:
    """SNMPv2-MIB system group."""

    descr: str = ""
    object_id: str = ""
    uptime_ticks: int = 0
    contact: str = ""
    name: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True)
class SeenVia:
    """The device whose table (ARP cache, forwarding table, LLDP) held the entry."""

    device_ip: str
    device_name: str = ""
    if_index: int = 0
    port_name: str = ""
    vlan: int = 0


@dataclass(frozen=True, slots=True)
class OpenPort:
    """An open port from an nmap port scan."""

    port: int
    protocol: str = "tcp"
    service: str = ""
    product: str = ""


@dataclass(frozen=True, slots=True)
class L2Binding:
    """The MAC that answered for an observation's address in the same sweep (see agent/scan/binding.py)."""

    mac: str
    learnt_by: str          # "arp" | "nmap" | "neighbour"
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class SkippedAddresses:
    """Addresses of the targets a sweep did not probe, for one reason (see targets.special_reason)."""

    reason: str
    count: int
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Observation:
    """One thing seen on the network by one method at one time."""

    method: Method
    seen_at: datetime
    ip: str = ""
    mac: str = ""
    hostname: str = ""
    vendor: str = ""
    device_type: str = ""
    os_family: str = ""
    snmp: SnmpSystem | None = None
    open_ports: tuple[OpenPort, ...] = ()
    software: tuple[SoftwareItem, ...] = ()
    seen_via: SeenVia | None = None
    serial: str = ""
    model: str = ""
    interfaces: tuple[NetworkInterface, ...] = ()
    mac_is_local: bool = False
    # Optional extras (added by the scanner work): device facts that have no field of their
    # own, e.g. HOST-RESOURCES-MIB hrSystem values or LLDP port details, as sorted key/value pairs.
    attributes: tuple[tuple[str, str], ...] = ()
    # Set by the sweep (not by a scanner) when this address's MAC answered on the scanner's own
    # segment in the same sweep: the collector joins the observation to that MAC's asset.
    l2_binding: L2Binding | None = None
    # OS or firmware version the device runs ("15.2(4)E8"); see agent/scan/snmp/identify.py.
    firmware: str = ""


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """Per-target, per-method outcome: failures are data, not aborted sweeps."""

    target: str
    method: Method
    ok: bool
    reason: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class ScanBatch:
    """A batch of results of one sweep; `complete` is set on the sweep's last batch only."""

    scan_id: str
    targets: tuple[str, ...]
    methods: tuple[Method, ...]
    started_at: datetime
    finished_at: datetime
    observations: tuple[Observation, ...] = ()
    statuses: tuple[TargetStatus, ...] = ()
    complete: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    skipped: tuple[SkippedAddresses, ...] = ()  # on the complete batch: what the sweep left out, and why

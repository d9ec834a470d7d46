"""Public entry point: collect this machine's facts and software into one Inventory.

Composition root for fact collection: it lists the collectors, runs them all concurrently
under one deadline (agent/facts/_runner.py), and assembles their values. Every collector that
was asked for gets a CollectorStatus, whatever happened to it, so a consumer can tell "no
packages" from "could not read the package database".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from agent.errors import ConfigError
from agent.facts._runner import Job, run_jobs
from agent.facts.base import FactCollector
from agent.facts.hardware import DisksCollector, HardwareCollector
from agent.facts.host import HostName, HostNameCollector
from agent.facts.model import (
    Cpu,
    Disk,
    DiskEncryption,
    Firewall,
    Hardware,
    HostFacts,
    Inventory,
    ListeningPort,
    LoggedInUser,
    Neighbour,
    NetworkInterface,
    OsInfo,
    SecurityFacts,
    SoftwareItem,
)
from agent.facts.network import NeighboursCollector, NetworkCollector
from agent.facts.osinfo import OsCollector
from agent.facts.security import protection
from agent.facts.security.encryption import DiskEncryptionCollector
from agent.facts.security.firewall import FirewallCollector
from agent.facts.security.ports import ListeningPortsCollector
from agent.facts.security.protection import EndpointProtectionCollector, ProtectionEvidence
from agent.facts.security.updates import SecurityUpdatesCollector, UpdatesResult
from agent.facts.software.base import SoftwareSource
from agent.facts.software.registry import SOURCES
from agent.facts.system import BootTimeCollector, CpuCollector, MemoryCollector
from agent.facts.timezone import TimezoneCollector
from agent.facts.users import UsersCollector
from agent.facts.virt import VirtualizationCollector

T = TypeVar("T")

FACT_NAMES = ("hostname", "os", "hardware", "cpu", "memory", "boot_time", "network", "disks",
              "virtualization", "neighbours", "timezone", "users", "listening_ports", "endpoint_protection",
              "disk_encryption", "firewall", "security_updates")


def _job(collector: FactCollector[T], root: Path, skip: Mapping[str, str]) -> Job[T]:
    return Job(collector.name, lambda: collector.is_present(root), lambda: collector.collect(root),
               skip_reason=skip.get(collector.name, ""))


def _software_job(source: SoftwareSource, root: Path, skip: Mapping[str, str]) -> Job[list[SoftwareItem]]:
    return Job(source.name, lambda: source.is_present(root), lambda: source.collect(root),
               skip_reason=skip.get(source.name, ""))


def _check_names(asked: Sequence[str] | None, known: Sequence[str], what: str) -> set[str]:
    if asked is None:
        return set(known)
    unknown = [name for name in asked if name not in known]
    if unknown:
        raise ConfigError(f"unknown {what} {', '.join(unknown)}; known: {', '.join(known)}")
    return set(asked)


def collect_inventory(
    root: Path = Path("/"),
    *,
    timeout_s: float = 20.0,
    sources: Sequence[str] | None = None,
    facts: Sequence[str] | None = None,
    registry: Sequence[SoftwareSource] | None = None,
    skip: Mapping[str, str] | None = None,
) -> Inventory:
    """Collect host facts, installed software and the neighbour table.

    All collectors run at once in worker threads; the run returns when every one has finished
    or `timeout_s` has passed, whichever is first. A collector that raises or is still running
    then gets a FAILED or TIMED_OUT status and contributes nothing; the rest of the inventory
    is still returned.

    Args:
        root: filesystem root to read; "/" means this running machine (and enables psutil and
            uname). Any other directory is treated as a recorded machine image.
        timeout_s: deadline for the whole run, which is also each collector's budget.
        sources: software source names to run (e.g. ["deb", "pypi"]); None runs every
            registered source.
        facts: host-fact collector names to run (see FACT_NAMES); None runs them all.
        registry: the software sources to choose from; defaults to the registered table
            (agent/facts/software/registry.py). Tests pass their own.
        skip: collector name -> reason for collectors that must not run this time (the daemon's
            memory ceiling); each is reported SKIPPED with that reason instead of being run.
            Names that are not being run anyway are ignored, so a fixed list of heavy
            collectors fits any registry.

    Returns:
        The Inventory; `collectors` holds one status per collector that was asked for, facts
        first, then software sources, in table order.

    Raises:
        ConfigError: `sources` or `facts` names a collector that does not exist.
    """
    table = tuple(SOURCES if registry is None else registry)
    wanted_sources = _check_names(sources, [s.name for s in table], "software source")
    wanted_facts = _check_names(facts, FACT_NAMES, "fact collector")
    skip = skip or {}

    hostname = _job(HostNameCollector(), root, skip)
    os_job = _job(OsCollector(), root, skip)
    hardware = _job(HardwareCollector(), root, skip)
    cpu = _job(CpuCollector(), root, skip)
    memory = _job(MemoryCollector(), root, skip)
    boot = _job(BootTimeCollector(), root, skip)
    network = _job(NetworkCollector(), root, skip)
    disks = _job(DisksCollector(), root, skip)
    virt = _job(VirtualizationCollector(), root, skip)
    neighbours = _job(NeighboursCollector(), root, skip)
    timezone = _job(TimezoneCollector(), root, skip)
    users = _job(UsersCollector(), root, skip)
    ports = _job(ListeningPortsCollector(), root, skip)
    edr = _job(EndpointProtectionCollector(), root, skip)
    crypt = _job(DiskEncryptionCollector(), root, skip)
    firewall = _job(FirewallCollector(), root, skip)
    updates = _job(SecurityUpdatesCollector(), root, skip)
    fact_jobs: list[Job[Any]] = [
        job
        for job in (hostname, os_job, hardware, cpu, memory, boot, network, disks, virt, neighbours, timezone,
                    users, ports, edr, crypt, firewall, updates)
        if job.name in wanted_facts
    ]
    software_jobs = [_software_job(s, root, skip) for s in table if s.name in wanted_sources]

    run_jobs([*fact_jobs, *software_jobs], timeout_s)

    software: list[SoftwareItem] = []
    for job in software_jobs:
        software.extend(job.value() or ())

    names: HostName | None = hostname.value()
    found_updates: UpdatesResult = _or(updates.value(), UpdatesResult())
    evidence: ProtectionEvidence | None = edr.value()
    security = SecurityFacts(
        listening=_or(ports.value(), tuple[ListeningPort, ...]()),
        # Package evidence counts even when the process/path scan failed; only a run that did
        # not ask for endpoint protection at all leaves it out.
        endpoint_protection=protection.merge(evidence, software) if edr.name in wanted_facts else (),
        disk_encryption=_or(crypt.value(), DiskEncryption()),
        firewalls=_or(firewall.value(), tuple[Firewall, ...]()),
        pending_security_updates=found_updates.pending,
        security_lists_date=found_updates.lists_date,
        security_suites=found_updates.suites,
    )
    host = HostFacts(
        hostname=names.hostname if names else "",
        fqdn=names.fqdn if names else "",
        os=_or(os_job.value(), OsInfo()),
        hardware=_or(hardware.value(), Hardware()),
        cpu=_or(cpu.value(), Cpu()),
        memory_bytes=_or(memory.value(), 0),
        interfaces=_or(network.value(), tuple[NetworkInterface, ...]()),
        boot_time=boot.value(),
        virtualization=_or(virt.value(), ""),
        disks=_or(disks.value(), tuple[Disk, ...]()),
        timezone=_or(timezone.value(), ""),
        users=_or(users.value(), tuple[LoggedInUser, ...]()),
        security=security,
    )
    return Inventory(
        facts=host,
        software=tuple(software),
        collectors=tuple(job.status(timeout_s) for job in (*fact_jobs, *software_jobs)),
        neighbours=_or(neighbours.value(), tuple[Neighbour, ...]()),
    )


def _or(value: T | None, default: T) -> T:
    return default if value is None else value

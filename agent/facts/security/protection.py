"""Is an endpoint-protection (EDR/antivirus) agent on this machine? Known products by their
packages, processes and install directories.

Three kinds of evidence, because each alone misleads: a package can be installed but its
service stopped (or never registered); a process name can be reused; a directory can be left
behind by an uninstall. The report carries all evidence found, and `running` only when a
process was seen. Package evidence comes from the software list collected in the same run
(any source: deb, rpm, msi, macOS apps), so detection follows whatever the sources read.

Names are from each vendor's Linux/Windows/macOS install documentation; process names are
compared as the kernel stores them in /proc/<pid>/comm, truncated to 15 bytes (TASK_COMM_LEN).
"""

from __future__ import annotations

import fnmatch
import functools
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from agent.facts import _procfs, _psutil
from agent.facts._fsutil import is_live
from agent.facts.model import EndpointProtection, Record, SoftwareItem
from agent.facts.software.registry import product_source_names

_COMM_LEN = 15

# Sources whose items are installed products, as each source declares it (SoftwareSource.libraries).
OS_PACKAGE_SOURCES = product_source_names()


class KnownProduct(Record):
    """How to recognise one product: package-name globs, process names, install paths."""

    __slots__ = ("product", "vendor", "packages", "processes", "paths")  # noqa: RUF023 - field order
    product: str
    vendor: str
    packages: tuple[str, ...]
    processes: tuple[str, ...]
    paths: tuple[str, ...]

    def __init__(self, product: str, vendor: str, packages: tuple[str, ...] = (), processes: tuple[str, ...] = (),
                 paths: tuple[str, ...] = ()) -> None:
        self._set_fields(product, vendor, packages, processes, paths)


KNOWN_PRODUCTS: tuple[KnownProduct, ...] = (
    KnownProduct("CrowdStrike Falcon", "CrowdStrike", ("falcon-sensor", "crowdstrike*falcon*", "crowdstrike*sensor*"),
                 ("falcon-sensor", "falcond", "csfalconservice"),
                 ("opt/CrowdStrike", "Library/CS/falcond", "Applications/Falcon.app")),
    KnownProduct("Microsoft Defender for Endpoint", "Microsoft", ("mdatp", "microsoft defender*"),
                 ("wdavdaemon", "mdatp_audisp_plugin", "msmpeng", "mssense"),
                 ("opt/microsoft/mdatp", "Applications/Microsoft Defender.app")),
    KnownProduct("SentinelOne", "SentinelOne", ("sentinelagent", "sentinelone*"),
                 ("sentinelone-agent", "s1-agent", "s1-orchestrator", "sentinelagent", "sentinelctl"),
                 ("opt/sentinelone", "Library/Sentinel", "Applications/SentinelOne")),
    KnownProduct("Sophos", "Sophos", ("sophos-spl*", "sav-linux*", "sophos endpoint*", "sophos anti-virus*"),
                 ("sophos_threat_detector", "sophos_managementagent", "savd", "sophosspl", "mcsagent"),
                 ("opt/sophos-spl", "opt/sophos-av", "Library/Sophos Anti-Virus")),
    KnownProduct("ESET", "ESET", ("eset-*", "eset endpoint*", "esets"),
                 ("esets_daemon", "eset_rtp", "oaeventd", "esets"),
                 ("opt/eset",)),
    KnownProduct("Trend Micro Deep Security / Vision One", "Trend Micro", ("ds_agent", "trend micro*"),
                 ("ds_agent", "ds_am", "tmxbc"),
                 ("opt/ds_agent", "opt/TrendMicro")),
    KnownProduct("Trellix (McAfee) Endpoint Security", "Trellix", ("mcafeetp", "mcafeeesp*", "mfeesp*", "mcafee*",
                                                                    "trellix*"),
                 ("mfetpd", "isectpd", "mfeespd", "masvc", "cmdagent"),
                 ("opt/McAfee", "opt/isec", "opt/Trellix")),
    KnownProduct("Symantec Endpoint Protection", "Broadcom", ("sepap", "symantec endpoint*"),
                 ("sisidsdaemon", "sisamddaemon", "rtvscand", "smcd"),
                 ("opt/Symantec",)),
    KnownProduct("Bitdefender GravityZone", "Bitdefender", ("bitdefender*", "bdsec*"),
                 ("bdsecd", "epag", "bdepsecd"),
                 ("opt/bitdefender-security-tools", "opt/BitDefender")),
    KnownProduct("Kaspersky Endpoint Security", "Kaspersky", ("kesl*", "klnagent*", "kaspersky*"),
                 ("kesl", "wdserver", "klnagent"),
                 ("opt/kaspersky/kesl",)),
    KnownProduct("Palo Alto Networks Cortex XDR", "Palo Alto Networks", ("cortex-agent*", "cortex xdr*"),
                 ("trapsd", "dypd", "cyserver"),
                 ("opt/traps",)),
    KnownProduct("Elastic Defend", "Elastic", ("elastic-endpoint*", "elastic-agent*"),
                 ("elastic-endpoint",),
                 ("opt/Elastic/Endpoint",)),
    KnownProduct("VMware Carbon Black", "Broadcom", ("cb-psc-sensor*", "cbsensor*", "carbon black*"),
                 ("cbagentd", "cbdaemon"),
                 ("opt/carbonblack",)),
    KnownProduct("Cisco Secure Endpoint", "Cisco", ("ciscoampconnector*", "cisco secure endpoint*",
                                                    "cisco amp*"),
                 ("ampdaemon", "ampscansvc"),
                 ("opt/cisco/amp",)),
    KnownProduct("Wazuh agent", "Wazuh", ("wazuh-agent",), ("wazuh-agentd", "wazuh-modulesd", "wazuh-syscheckd"),
                 ("var/ossec/bin/wazuh-agentd",)),
    KnownProduct("ClamAV", "Cisco Talos", ("clamav-daemon", "clamav", "clamav-freshclam", "clamonacc"),
                 ("clamd", "freshclam", "clamonacc"), ()),
)


def _process_table() -> dict[str, KnownProduct]:
    table: dict[str, KnownProduct] = {}
    for product in KNOWN_PRODUCTS:
        for proc in product.processes:
            table.setdefault(proc.lower()[:_COMM_LEN], product)
    return table


_BY_PROCESS = _process_table()


@functools.cache
def _package_patterns() -> tuple[tuple[KnownProduct, re.Pattern[str]], ...]:
    # One compiled alternation per product: the software list has ~1,000 entries, so matching
    # every glob with fnmatch per item cost more than all other collectors together.
    return tuple((product, re.compile("|".join(fnmatch.translate(p) for p in product.packages)))
                 for product in KNOWN_PRODUCTS if product.packages)


def _literal_prefix(glob: str) -> str:
    for i, ch in enumerate(glob):
        if ch in "*?[":
            return glob[:i]
    return glob


# Every glob starts with a literal, so one str.startswith over all of them rules out nearly every
# package before any pattern runs; the patterns are compiled only once a name gets past it, which
# on most machines is never (compiling them was most of this module's import time).
_PACKAGE_PREFIXES = tuple({_literal_prefix(p) for product in KNOWN_PRODUCTS for p in product.packages})


def from_software(items: Iterable[SoftwareItem]) -> dict[str, set[str]]:
    """Product name -> package evidence ("deb:falcon-sensor") found in a software list."""
    found: dict[str, set[str]] = {}
    for item in items:
        # Language packages are libraries, not installed agents: pip's "falcon" is a web framework.
        if item.source not in OS_PACKAGE_SOURCES:
            continue
        name = item.name.lower()
        if not name.startswith(_PACKAGE_PREFIXES):
            continue
        for product, pattern in _package_patterns():
            if pattern.match(name):
                found.setdefault(product.product, set()).add(f"{item.source}:{item.name}")
                break
    return found


def from_processes(names: Iterable[tuple[int, str]]) -> dict[str, set[str]]:
    """Product name -> process evidence ("process:falcon-sensor") for the running processes."""
    found: dict[str, set[str]] = {}
    for _pid, name in names:
        lowered = name.lower()
        # Windows/macOS process names carry ".exe"/".app" suffixes that comm never has.
        for suffix in (".exe", ".app"):
            lowered = lowered.removesuffix(suffix)
        product = _BY_PROCESS.get(lowered[:_COMM_LEN])
        if product is not None:
            found.setdefault(product.product, set()).add(f"process:{name}")
    return found


def from_paths(root: Path) -> dict[str, set[str]]:
    """Product name -> path evidence ("path:/opt/CrowdStrike") for install directories under root."""
    found: dict[str, set[str]] = {}
    for product in KNOWN_PRODUCTS:
        for rel in product.paths:
            if (root / rel).exists():
                found.setdefault(product.product, set()).add(f"path:/{rel}")
    return found


class ProtectionEvidence(Record):
    """What the collector saw on its own (processes and paths); packages are merged in later."""

    __slots__ = ("by_product",)
    by_product: tuple[tuple[str, tuple[str, ...]], ...]

    def __init__(self, by_product: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> None:
        self._set_fields(by_product)

    def __len__(self) -> int:
        """Number of products with evidence (for CollectorStatus.items)."""
        return len(self.by_product)


def merge(evidence: ProtectionEvidence | None, software: Sequence[SoftwareItem]) -> tuple[EndpointProtection, ...]:
    """Combine collector evidence with package evidence into one entry per product, table order."""
    combined: dict[str, set[str]] = {name: set(items) for name, items in (evidence.by_product if evidence else ())}
    for name, items in from_software(software).items():
        combined.setdefault(name, set()).update(items)
    result: list[EndpointProtection] = []
    for product in KNOWN_PRODUCTS:
        items = combined.get(product.product, set())
        if items:
            result.append(EndpointProtection(
                product=product.product, vendor=product.vendor,
                running=any(e.startswith("process:") for e in items),
                evidence=tuple(sorted(items))))
    return tuple(result)


class EndpointProtectionCollector:
    """Running processes and install directories of known endpoint-protection products."""

    name = "endpoint_protection"

    def is_present(self, root: Path) -> bool:
        """Always applicable: finding nothing is the answer ("none detected")."""
        return True

    def collect(self, root: Path) -> ProtectionEvidence:
        """Match process names (procfs, or psutil where there is none) and install paths."""
        if (root / _procfs.PROC / "1").is_dir() or not is_live(root):
            procs = [(p.pid, p.name) for p in _procfs.processes(root)]
        elif sys.platform != "linux":
            procs = _psutil.process_names()
        else:
            procs = []
        found = from_processes(procs)
        for name, items in from_paths(root).items():
            found.setdefault(name, set()).update(items)
        return ProtectionEvidence(tuple(sorted((k, tuple(sorted(v))) for k, v in found.items())))

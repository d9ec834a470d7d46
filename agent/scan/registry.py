"""The scan methods a sweep can run: one line each, and the only place that lists them.

sweep() runs scanners from here, the CLI's --methods and the schedule file's `methods` are
checked against it, and the --methods help text is written from it. Adding a scan method is one
new module with a function satisfying base.Scanner, and one line in SCANNERS. (Its model.Method
value is what its observations carry on the wire, netcensus.v1.Method: a method that needs a new
wire value also extends the .proto and model.Method.)

Entries name their module as text and import it only when a sweep runs the method: an SNMP-only
sweep must not import scapy, and `netcensus-agent report` imports no scanner library at all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from agent.errors import ConfigError
from agent.scan.model import Method

if TYPE_CHECKING:
    from agent.scan.base import Scanner


@dataclass(frozen=True, slots=True)
class ScannerEntry:
    """One scan method: where its Scanner lives, and how a sweep schedules it.

    Attributes:
        method: the method; its value is the name users write (--methods, `methods = [...]`).
        module: the module holding the scanner, imported on first use only.
        function: the scanner's name in that module (a base.Scanner).
        discovers: True if it finds live hosts itself from subnets (runs first, in parallel);
            False if it queries hosts one by one (runs after discovery, on the hosts found plus
            single-host targets, or on every address when no discovering method runs).
        about: a few words for the --methods help.
    """

    method: Method
    module: str
    function: str
    discovers: bool
    about: str

    def load(self) -> Scanner:
        """The scanner function (imports its module, and so its third-party library, now)."""
        scanner: Scanner = getattr(importlib.import_module(self.module), self.function)
        return scanner


SCANNERS: Mapping[Method, ScannerEntry] = MappingProxyType({e.method: e for e in (
    ScannerEntry(Method.ARP, "agent.scan.arp", "run_arp", discovers=True, about="ARP on attached subnets"),
    ScannerEntry(Method.NMAP, "agent.scan.nmap", "run_nmap", discovers=True, about="nmap ping sweep, routed subnets"),
    ScannerEntry(Method.SNMP, "agent.scan.snmp", "run_snmp", discovers=False, about="SNMP inventory of each host"),
)})


def method_names() -> str:
    """The scan methods' names, comma-separated, for messages and help."""
    return ", ".join(m.value for m in SCANNERS)


def parse_methods(names: Iterable[object]) -> tuple[Method, ...]:
    """Scan methods by name, in the order given, each once.

    Raises:
        ConfigError: no method, or a name that is not a scan method (the message lists them).
    """
    by_name = {m.value: m for m in SCANNERS}
    out: list[Method] = []
    for name in names:
        method = by_name.get(name) if isinstance(name, str) else None
        if method is None:
            raise ConfigError(f"unknown scan method {name!r} (use {method_names()})")
        if method not in out:
            out.append(method)
    if not out:
        raise ConfigError(f"no scan method given (use {method_names()})")
    return tuple(out)


def methods_help() -> str:
    """The --methods help text: each method's name and what it does."""
    return "comma-separated, any of: " + "; ".join(f"{m.value} ({e.about})" for m, e in SCANNERS.items())

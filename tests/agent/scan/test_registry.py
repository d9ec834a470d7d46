"""The scan-method registry: names, validation, and that scanner libraries load only when used."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent.errors import ConfigError
from agent.scan.base import Scanner
from agent.scan.model import Method
from agent.scan.registry import SCANNERS, method_names, methods_help, parse_methods


def test_every_sweepable_method_is_registered_once_with_its_scanner() -> None:
    assert list(SCANNERS) == [Method.ARP, Method.NMAP, Method.SNMP]
    assert [m for m, e in SCANNERS.items() if e.discovers] == [Method.ARP, Method.NMAP]
    for method, entry in SCANNERS.items():
        assert entry.method is method
        scanner: Scanner = entry.load()
        assert callable(scanner)
        assert scanner.__name__ == entry.function
    assert method_names() == "arp, nmap, snmp"
    assert all(m.value in methods_help() for m in SCANNERS)


def test_parse_methods_keeps_order_and_drops_repeats() -> None:
    assert parse_methods(["snmp", "arp", "snmp"]) == (Method.SNMP, Method.ARP)


@pytest.mark.parametrize(("names", "message"), [
    (["ping"], "unknown scan method 'ping' (use arp, nmap, snmp)"),
    (["snmp-fdb"], "unknown scan method 'snmp-fdb'"),  # a Method, but what SNMP reports, not a sweep
    ([1], "unknown scan method 1"),
    ([], "no scan method given (use arp, nmap, snmp)"),
])
def test_parse_methods_errors(names: list[object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_methods(names)
    assert message in str(info.value)


def _imported_after(code: str) -> set[str]:
    probe = (f"import sys\n{code}\n"
             "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'scapy', 'pysnmp', 'nmap'})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_scanner_libraries_are_imported_only_by_the_method_that_runs() -> None:
    # The CLI's parser (every command builds it) and the sweep module name methods, import no scanner.
    parser = "import agent.cli, agent.config, agent.scan.sweep; agent.cli.build_parser(agent.config.AgentEnv.read({}))"
    assert _imported_after(parser) == set()
    # The SNMP (v2c) scanner asking loopback, where no agent answers: no scapy, no python-nmap, and no pysnmp
    # either (v1/v2c go through the scanner's own codec; pysnmp is for SNMPv3). Called as sweep() calls it
    # (a sweep itself skips loopback: never a device).
    snmp = ("import threading, time; from agent.scan.registry import SCANNERS; from agent.scan.model import Method; "
            "from agent.scan.options import SweepOptions; from agent.scan.targets import parse_targets\n"
            "said = []\n"
            "SCANNERS[Method.SNMP].load()(parse_targets(['127.0.0.1'], resolve=False), SweepOptions(timeout_s=0.5), "
            "said.append, stop=threading.Event(), deadline=time.monotonic() + 10)\n"
            "assert [s.ok for s in said] == [False]")
    assert _imported_after(snmp) == set()

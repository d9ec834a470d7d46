"""sweep() over the registry's contract, with scanners of our own: discovering methods first, then the
per-host methods on what they found; a scanner that raises becomes a status (no packets sent)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from agent.scan.base import Emit, Progress
from agent.scan.model import Method, Observation, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.registry import ScannerEntry
from agent.scan.sweep import sweep
from agent.scan.targets import LocalAddresses, Target

ASKED: dict[Method, list[str]] = {}


def discover(targets: Sequence[Target], options: SweepOptions, emit: Emit, *, stop: threading.Event,
             deadline: float, progress: Progress | None = None) -> None:
    ASKED.setdefault(Method.ARP, []).extend(t.spec for t in targets)
    emit(Observation(method=Method.ARP, seen_at=datetime.now(UTC), ip="192.0.2.5", mac="00:1b:21:0a:00:05"))
    for t in targets:
        emit(TargetStatus(target=t.spec, method=Method.ARP, ok=True))


def per_host(targets: Sequence[Target], options: SweepOptions, emit: Emit, *, stop: threading.Event,
             deadline: float, progress: Progress | None = None) -> None:
    ASKED.setdefault(Method.SNMP, []).extend(t.spec for t in targets)
    for t in targets:
        emit(TargetStatus(target=t.spec, method=Method.SNMP, ok=True))


def broken(targets: Sequence[Target], options: SweepOptions, emit: Emit, *, stop: threading.Event,
           deadline: float, progress: Progress | None = None) -> None:
    raise RuntimeError("scanner bug")


OURS = {
    Method.ARP: ScannerEntry(Method.ARP, __name__, "discover", discovers=True, about="test discovery"),
    Method.SNMP: ScannerEntry(Method.SNMP, __name__, "per_host", discovers=False, about="test per host"),
    Method.NMAP: ScannerEntry(Method.NMAP, __name__, "broken", discovers=True, about="raises"),
}


def _statuses(methods: list[Method], targets: list[str]) -> list[TargetStatus]:
    ASKED.clear()
    batches = list(sweep(targets, methods=methods, options=SweepOptions(time_budget_s=30), scanners=OURS,
                         local=LocalAddresses()))
    assert batches[-1].complete
    return [s for b in batches for s in b.statuses]


def test_per_host_methods_query_what_discovery_found_plus_single_hosts() -> None:
    statuses = _statuses([Method.SNMP, Method.ARP], ["192.0.2.0/29", "198.51.100.7"])
    assert ASKED == {Method.ARP: ["192.0.2.0/29", "198.51.100.7"], Method.SNMP: ["192.0.2.5", "198.51.100.7"]}
    assert all(s.ok for s in statuses)


def test_per_host_methods_alone_query_every_address() -> None:
    _statuses([Method.SNMP], ["192.0.2.0/30"])
    assert ASKED == {Method.SNMP: ["192.0.2.1", "192.0.2.2"]}


def test_a_failing_scanner_is_a_status_and_the_sweep_goes_on() -> None:
    statuses = _statuses([Method.NMAP, Method.ARP], ["192.0.2.0/30"])
    failed = [s for s in statuses if not s.ok]
    assert [(s.target, s.method) for s in failed] == [("192.0.2.0/30", Method.NMAP)]
    assert failed[0].reason == "nmap scanner failed: RuntimeError: scanner bug"
    assert ASKED == {Method.ARP: ["192.0.2.0/30"]}

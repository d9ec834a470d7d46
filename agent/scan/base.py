"""The scanner seam: every method (ARP, nmap, SNMP) is a function of this shape.

registry.SCANNERS names each method's scanner and sweep() composes them; each receives
already-parsed targets, frozen options, an `emit` callback for results, a stop event and a
monotonic deadline. A scanner never raises for a target's failure: it emits a
TargetStatus(ok=False, reason) and goes on (STYLE.md habit 3).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from agent.scan.model import Observation, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.targets import Target

Emit = Callable[[Observation | TargetStatus], None]
Progress = Callable[[str], None]


class Scanner(Protocol):
    """Structural type of run_arp / run_nmap / run_snmp."""

    def __call__(
        self,
        targets: Sequence[Target],
        options: SweepOptions,
        emit: Emit,
        *,
        stop: threading.Event,
        deadline: float,
        progress: Progress | None = None,
    ) -> None:
        """Scan `targets`, emitting observations and exactly one status per target (or host)."""


def ms_since(started: float) -> int:
    """Milliseconds elapsed since a time.monotonic() reading."""
    return int((time.monotonic() - started) * 1000)

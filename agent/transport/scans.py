"""Delivery of scan batches as scanner reports: spool each batch, then try to send it.

A sweep produces batches while it runs; an unreachable collector must not stall it on every
batch, so after the first failure batches are only spooled and `finish` makes the last attempt.

The scanner is a source of its own, enrolled as kind scanner, with its own key and spool under
`<state dir>/scanner/`: the collector fixes a source's kind at enrolment and accepts scan results only
from scanners, so a host that runs the agent and sweeps too cannot share one identity between them.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from netcensus.v1 import report_pb2

from agent.config import Security
from agent.errors import AgentError, TransportError
from agent.scan.model import ScanBatch
from agent.transport.encode import encode_scan
from agent.transport.link import Link
from agent.transport.spool import Priority

log = logging.getLogger("netcensus.agent")


def scanner_state_dir(state_dir: Path) -> Path:
    """Where the scanner keeps its identity and spool, given the agent's state directory.

    `<state_dir>/scanner/`, except for an install that only ever scanned before scanners got their own
    directory: its state.json is there but no baseline.json (only `report` writes one), and keeping it
    keeps its source id and any scan results still spooled."""
    own = state_dir / "scanner"
    if not (own / "state.json").exists() and (state_dir / "state.json").exists() \
            and not (state_dir / "baseline.json").exists():
        return state_dir
    return own


class ScanSender:
    """Spools each scan batch, then tries to deliver; an unreachable collector keeps batches queued."""

    def __init__(self, target: str, state_dir: Path, *, secret: str, security: Security) -> None:
        self.target = target
        self.link = Link(target, scanner_state_dir(state_dir), kind=report_pb2.SOURCE_KIND_SCANNER, secret=secret,
                         security=security)
        self._lock = threading.Lock()
        self.unreachable: str = ""

    def __call__(self, batch: ScanBatch) -> None:
        with self._lock:
            report = encode_scan(batch, source_id=self.link.source_id, seq=self.link.take_seq(),
                                 now=datetime.now(UTC))
            self.link.enqueue(report, Priority.BULK)
            if self.unreachable:
                return  # do not stall the sweep on every batch; finish() tries again
            try:
                result = self.link.deliver_once()
            except TransportError as exc:
                self.unreachable = str(exc)
                log.warning("%s; keeping scan batches in the spool", exc)
                return
            reason = result.reasons.get(report.report_id)
            if reason is not None:
                raise AgentError(f"collector {self.target} rejected a scan batch: {reason}")

    def note_failure(self, detail: str) -> None:
        """A scan job that failed: the scanner's last error, carried by its next report to the collector."""
        with self._lock:
            self.link.note_failure(detail)

    def finish(self) -> None:
        """Last delivery attempt; raises TransportError when batches stay queued."""
        with self._lock:
            try:
                self.link.deliver(deadline=time.monotonic() + 30, retry_cold=False)
            except TransportError as exc:
                raise TransportError(f"{exc}; {self.link.queued()} scan batch(es) kept in the spool "
                                     "for the next run") from exc
            finally:
                self.link.close()

"""Delivery of scan batches as scanner reports: spool each batch, then try to send it.

A sweep produces batches while it runs; an unreachable collector must not stall it on every
batch, so after the first failure batches are only spooled and `finish` makes the last attempt.
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


class ScanSender:
    """Spools each scan batch, then tries to deliver; an unreachable collector keeps batches queued."""

    def __init__(self, target: str, state_dir: Path, *, secret: str, security: Security) -> None:
        self.target = target
        self.link = Link(target, state_dir, kind=report_pb2.SOURCE_KIND_SCANNER, secret=secret, security=security)
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

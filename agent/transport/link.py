"""One node's line to one collector: its state file, its spool, the gRPC client and the courier.

Every use case that sends (host reports, scan batches) needs the same four pieces opened in the
same order and closed together; this class is that wiring and nothing more. Reports go through
the spool before any attempt to send them, so a crash or an outage never loses one.
"""

from __future__ import annotations

import logging
from pathlib import Path

from netcensus.v1 import report_pb2

from agent.config import Security
from agent.transport.client import IngestClient
from agent.transport.deliver import Courier, DrainResult
from agent.transport.spool import DEFAULT_MAX_BYTES, DEFAULT_MAX_REPORTS, SPOOL_FILE, Priority, Spool
from agent.transport.state import NodeState

log = logging.getLogger("netcensus.agent")


class Link:
    """State, spool, client and courier of one node talking to one collector."""

    def __init__(self, target: str, state_dir: Path, *, kind: report_pb2.SourceKind.ValueType, secret: str,
                 security: Security, timeout_s: float = 20.0, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_reports: int = DEFAULT_MAX_REPORTS) -> None:
        self.target = target
        self.state = NodeState.load(state_dir / "state.json")
        self.state.ensure_source_id()
        self.spool = Spool(state_dir / SPOOL_FILE, max_bytes=max_bytes, max_reports=max_reports)
        self.client = IngestClient(target, self.state, kind=kind, enrol_secret=secret, timeout_s=timeout_s,
                                   security=security)
        self.courier = Courier(self.spool, self.client)

    @property
    def source_id(self) -> str:
        """Our source id (picked before the first report, so spooled reports carry it)."""
        return self.state.source_id

    def take_seq(self) -> int:
        """The next sequence number, persisted before use."""
        return self.state.take_seq()

    def host_report_queued(self) -> bool:
        """True while a host snapshot or delta still waits in the spool for its ack."""
        return any(item.priority == Priority.IDENTITY for item in self.spool.pending(10_000))

    def enqueue(self, report: report_pb2.Report, priority: Priority) -> None:
        """Write the report durably before any attempt to send it."""
        dropped = self.spool.put(report.report_id, report.seq, priority, report.SerializeToString())
        if dropped:
            log.warning("spool full: dropped %d oldest report(s) to make room", len(dropped))

    def deliver(self, *, deadline: float, retry_cold: bool) -> DrainResult:
        """Drain the spool until empty or `deadline` (monotonic); raises TransportError when reports stay."""
        return self.courier.drain(deadline=deadline, retry_cold=retry_cold)

    def deliver_once(self) -> DrainResult:
        """One pass over the spool, no retries; raises TransportError when the collector is unreachable."""
        return self.courier.drain_once()

    def note_failure(self, detail: str) -> None:
        """Record a failure to collect (a scan job, a report cycle) as the last error: `status` shows it and
        the next report carries it to the collector (Report.sender_state)."""
        self.spool.note("error", detail)

    def is_queued(self, report_id: str) -> bool:
        """True while the report waits for its ack."""
        return self.spool.contains(report_id)

    def queued(self) -> int:
        """How many reports wait in the spool."""
        return self.spool.stats().depth

    def close(self) -> None:
        """Close the channel and the spool (everything queued is already on disk)."""
        self.client.close()
        self.spool.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Drain the spool to the collector: oldest first, delete on ack, back off and retry on failure.

This is the only code that moves reports out of the spool. A report leaves the spool when the
collector answered it for good: STORED or DUPLICATE (it is in the database), or REJECTED (it
never will be; re-sending unchanged bytes cannot help, and it is counted). Anything else - an
unreachable collector, a stream cut by kill -9, pushback - leaves it queued for the next attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent.errors import RejectedError, StateError, TransportError
from agent.transport.backoff import Backoff
from agent.transport.client import AckResult, IngestClient, Pushback
from agent.transport.encode import encode_sender_state
from agent.transport.spool import Spool, Spooled

log = logging.getLogger("netcensus.agent.deliver")


@dataclass
class DrainResult:
    """What one drain achieved."""

    acked: int = 0
    rejected: int = 0
    remaining: int = 0
    reasons: dict[str, str] = field(default_factory=dict)  # report_id -> rejection reason
    need_full: set[str] = field(default_factory=set)  # report_ids whose ack asked for a full snapshot


class Courier:
    """Moves spooled reports to one collector."""

    def __init__(self, spool: Spool, client: IngestClient, *, batch: int = 500,
                 backoff: Backoff | None = None, sleep: Callable[[float], object] | None = None,
                 on_acked: Callable[[list[str]], None] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.spool = spool
        self._now = now
        self._on_acked = on_acked
        self.client = client
        self.batch = batch
        self.backoff = backoff or Backoff()
        self._sleep = sleep or time.sleep

    def drain_once(self, result: DrainResult | None = None) -> DrainResult:
        """Send every queued report once, in order, over as many streams as batches; raises TransportError.

        The outcome is noted in the spool for `netcensus-agent status` (last success, last error).
        """
        result = result or DrainResult()
        before = result.acked
        try:
            self._drain_once(result)
        except TransportError as exc:
            self.spool.note("error", str(exc))
            raise
        if result.acked > before:
            self.spool.note("success", f"{result.acked - before} report(s) acked, {result.remaining} left in the spool")
        return result

    def _drain_once(self, result: DrainResult) -> DrainResult:
        reasons = result.reasons
        self.client.ensure_enrolled()
        after = 0
        while True:
            items = self.spool.pending(self.batch, after_id=after)
            if not items:
                break
            after = items[-1].id
            self.spool.mark_attempt(i.id for i in items)
            acked: list[str] = []
            rejected: list[str] = []

            def on_ack(ack: AckResult, acked: list[str] = acked, rejected: list[str] = rejected) -> None:
                if ack.need_full_snapshot:
                    result.need_full.add(ack.report_id)
                if ack.stored or ack.duplicate:
                    acked.append(ack.report_id)
                else:
                    rejected.append(ack.report_id)
                    reasons[ack.report_id] = ack.reason
                    log.warning("collector rejected report %s: %s", ack.report_id, ack.reason)
                    self.spool.note("error", f"collector rejected report {ack.report_id}: {ack.reason}")
                # Delete in small groups: each delete is an fsync'd commit.
                if len(acked) >= 64:
                    self._settle(acked, result)

            try:
                try:
                    self.client.stream([i.payload for i in items], on_ack, envelope=self._envelope(items))
                except RejectedError:
                    # Our key is unknown (new database) or revoked: re-enrol once; revoked stays refused.
                    self._settle(acked, result)
                    self.client.ensure_enrolled(force=True)
                    remaining = [i for i in items if self.spool.contains(i.report_id)]
                    self.client.stream([i.payload for i in remaining], on_ack, envelope=self._envelope(remaining))
            finally:
                self._settle(acked, result)
                result.rejected += self.spool.remove(rejected, counter="rejected")
        result.remaining = self.spool.stats().depth
        return result

    def _envelope(self, items: Sequence[Spooled]) -> Callable[[int], bytes]:
        """Report.sender_state for items[n] as it goes on the wire: the spool besides it, and the last error.

        Best effort: a spool that cannot be read now leaves the field unset rather than stopping the send.
        """
        def envelope(n: int) -> bytes:
            try:
                backlog = self.spool.backlog(besides=items[n].report_id)
            except StateError as exc:
                log.debug("%s", exc)
                return b""
            return encode_sender_state(backlog, self._now())

        return envelope

    def _settle(self, acked: list[str], result: DrainResult) -> None:
        """Delete acked reports from the spool (one fsync'd commit), then tell the listener."""
        if not acked:
            return
        result.acked += self.spool.remove(acked)
        if self._on_acked is not None:
            self._on_acked(list(acked))
        acked.clear()

    def drain(self, *, deadline: float | None = None, retry_cold: bool = True) -> DrainResult:
        """drain_once until the spool is empty, retrying with backoff and jitter until the deadline.

        retry_cold=False gives up at once when the very first attempt finds the collector
        unreachable (what `report --once` wants: one line, exit 1, report kept).
        """
        result = DrainResult()
        first = True
        while True:
            before = result.acked + result.rejected
            try:
                self.drain_once(result)
                self.backoff.reset()
                if result.remaining == 0:
                    return result
                continue  # reports were queued while we sent: go again
            except TransportError as exc:
                progressed = result.acked + result.rejected > before
                pushback = exc.retry_after_s if isinstance(exc, Pushback) else 0.0
                if isinstance(exc, RejectedError) or (first and not progressed and not retry_cold
                                                      and not isinstance(exc, Pushback)):
                    raise
                if progressed:
                    self.backoff.reset()
                delay = self.backoff.next_delay(pushback)
                if deadline is not None and time.monotonic() + delay > deadline:
                    raise
                self.spool.count("retries")
                log.info("%s; retrying in %.1fs", exc, delay)
                self._sleep(delay)
            finally:
                first = False

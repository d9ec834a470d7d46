"""The agent's main use case: report this machine to the collector, once or on a schedule.

One cycle: collect facts -> choose a full snapshot or a delta against the acked baseline ->
spool and deliver -> advance the baseline only on the collector's ack.

Why it is shaped so:

* A delta is only correct against what the collector really holds, so the choice is made from
  the on-disk `Baseline` (which advances only when a report is acked) and refuses to delta while
  an earlier host report still waits in the spool, after `full_snapshot_every` deltas, or when
  the collector asked for a snapshot last time.
* The collector may refuse a delta because it lost our base (a new database, a restore) and ask
  for a full snapshot. That answer is a state of the cycle, not an error: `send_host_report`
  loops over at most two attempts (delta, then snapshot) with the already collected inventory.
  A loop rather than a recursive retry, so there is one place that decides, the inventory is
  not collected twice, and the link stays open across the attempts.
* Sending goes through `Outbox`, a Protocol the real `Link` satisfies; the state machine is
  tested with a fake outbox, and end to end with a real collector on loopback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from netcensus.v1 import report_pb2

from agent.config import AgentConfig
from agent.daemon import memory_ceiling_reason, run_daemon
from agent.errors import AgentError, TransportError
from agent.facts.model import Inventory
from agent.transport.baseline import Baseline
from agent.transport.deliver import DrainResult
from agent.transport.delta import Delta, compute_delta, next_baseline
from agent.transport.encode import encode_delta, encode_snapshot
from agent.transport.link import Link
from agent.transport.spool import SPOOL_FILE, Priority, Spool

log = logging.getLogger("netcensus.agent")


class Outbox(Protocol):
    """What a report cycle needs from the line to the collector (`agent.transport.link.Link`)."""

    @property
    def source_id(self) -> str:
        """Our source id."""
        ...

    def take_seq(self) -> int:
        """The next sequence number, persisted before use."""
        ...

    def host_report_queued(self) -> bool:
        """True while an earlier host report waits for its ack."""
        ...

    def enqueue(self, report: report_pb2.Report, priority: Priority) -> None:
        """Spool the report durably."""
        ...

    def deliver(self, *, deadline: float, retry_cold: bool) -> DrainResult:
        """Drain the spool; raises TransportError when reports stay queued."""
        ...

    def is_queued(self, report_id: str) -> bool:
        """True while the report waits for its ack."""
        ...

    def queued(self) -> int:
        """How many reports wait in the spool."""
        ...


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """What one acked host report carried; `summary()` is the line the CLI prints."""

    hostname: str
    collector: str
    source_id: str
    report_id: str
    delta: Delta | None        # None: a full snapshot
    packages: int
    interfaces: int
    neighbours: int
    delivered: int             # reports acked by this drain, this one included

    def summary(self) -> str:
        """One line for the user."""
        kind = (f"delta of {self.delta.size} change(s)" if self.delta is not None
                else f"full snapshot of {self.packages} packages")
        earlier = (f", {self.delivered - 1} earlier spooled report(s) delivered" if self.delivered > 1 else "")
        return (f"reported {self.hostname} to {self.collector}: {kind}, {self.interfaces} interfaces, "
                f"{self.neighbours} neighbours (source {self.source_id}, report {self.report_id}{earlier})")


def _wants_delta(baseline: Baseline, outbox: Outbox, config: AgentConfig) -> bool:
    """A delta is safe only against a base this collector acked, with no host report still in flight."""
    return (bool(baseline.report_id) and baseline.collector == config.collector and not baseline.force_full
            and baseline.deltas_since_full < config.full_snapshot_every and not outbox.host_report_queued())


def _encode(inventory: Inventory, baseline: Baseline, outbox: Outbox, config: AgentConfig,
            now: datetime) -> tuple[report_pb2.Report, Delta | None]:
    """A delta against the acked baseline when that is safe, else a full snapshot."""
    if _wants_delta(baseline, outbox, config):
        delta = compute_delta(baseline.items, inventory)
        return encode_delta(inventory, delta, base_report_id=baseline.report_id, source_id=outbox.source_id,
                            seq=outbox.take_seq(), now=now), delta
    return encode_snapshot(inventory, source_id=outbox.source_id, seq=outbox.take_seq(), now=now), None


def send_host_report(inventory: Inventory, baseline: Baseline, outbox: Outbox, config: AgentConfig, *,
                     once: bool, now: Callable[[], datetime] = lambda: datetime.now(UTC),
                     clock: Callable[[], float] = time.monotonic) -> ReportOutcome:
    """Send `inventory` as a delta or a snapshot and advance `baseline` (saved) once it is acked.

    Args:
        inventory: what was collected this cycle.
        baseline: the last acked software list; updated and saved on the ack.
        outbox: the spool-backed line to the collector.
        config: the resolved agent configuration.
        once: a one-shot run (`report --once`): give up at once when the collector is unreachable
            and wait at most `timeout_s`; otherwise retry until the next interval is near.
        now: wall clock for the report's created_at.
        clock: monotonic seconds for the delivery deadline.

    Raises:
        TransportError: the report was not acked; it stays in the spool for the next run.
        AgentError: the collector rejected the report for good.
    """
    while True:  # at most twice: a delta the collector cannot apply is followed by a snapshot
        report, delta = _encode(inventory, baseline, outbox, config, now())
        outbox.enqueue(report, Priority.IDENTITY)
        deadline = clock() + (config.timeout_s if once else max(config.interval_s, 60.0))
        try:
            result = outbox.deliver(deadline=deadline, retry_cold=not once)
        except TransportError as exc:
            raise TransportError(f"{exc}; {outbox.queued()} report(s) kept in the spool for the next run") from exc
        reason = result.reasons.get(report.report_id)
        wants_full = report.report_id in result.need_full
        if reason is not None:
            if wants_full and delta is not None:
                # The collector lost track of our base (new database, restore): send a snapshot now.
                # force_full makes _encode choose one, so this branch cannot be taken twice.
                baseline.force_full = True
                baseline.save()
                continue
            raise AgentError(f"collector {config.collector} rejected the report: {reason}")
        if outbox.is_queued(report.report_id):
            raise TransportError(f"collector {config.collector} did not ack report {report.report_id}; kept in spool")
        # Acked: the collector now holds this software list; deltas go against it from here on.
        baseline.items = next_baseline(baseline.items if delta is not None else {}, inventory)
        baseline.report_id = report.report_id
        baseline.collector = config.collector
        baseline.deltas_since_full = baseline.deltas_since_full + 1 if delta is not None else 0
        baseline.force_full = wants_full  # divergence detected: the next report is a full snapshot
        baseline.save()
        return ReportOutcome(hostname=inventory.facts.hostname, collector=config.collector,
                             source_id=outbox.source_id, report_id=report.report_id, delta=delta,
                             packages=len(inventory.software), interfaces=len(inventory.facts.interfaces),
                             neighbours=len(inventory.neighbours), delivered=result.acked)


def open_link(config: AgentConfig) -> Link:
    """The agent's line to its collector, with the spool bounds from the config."""
    return Link(config.collector, config.state_dir, kind=report_pb2.SOURCE_KIND_AGENT, secret=config.enrol_secret,
                security=config.security, timeout_s=config.timeout_s, max_bytes=config.spool_max_bytes,
                max_reports=config.spool_max_reports)


Collect = Callable[[AgentConfig, Mapping[str, str] | None], Inventory]


def collect_facts(config: AgentConfig, skip: Mapping[str, str] | None) -> Inventory:
    """This machine's inventory with the configured sources and budget."""
    from agent.facts.collect import collect_inventory

    return collect_inventory(timeout_s=config.timeout_s, sources=config.sources, skip=skip)


def report_once(config: AgentConfig, *, once: bool = True, skip: Mapping[str, str] | None = None,
                collect: Collect = collect_facts, connect: Callable[[AgentConfig], Link] = open_link) -> ReportOutcome:
    """One cycle: collect, then send against the baseline kept in the state directory.

    A collection that fails outright is noted in the spool as the last error before it propagates, so
    `status` shows it and the next report that gets through tells the collector (Report.sender_state).
    """
    try:
        inventory = collect(config, skip)
    except Exception as exc:
        _note_failure(config, f"collecting facts failed: {type(exc).__name__}: {exc}")
        raise
    baseline = Baseline.load(config.state_dir / "baseline.json")
    with connect(config) as link:
        return send_host_report(inventory, baseline, link, config, once=once)


def _note_failure(config: AgentConfig, detail: str) -> None:
    """Record `detail` as the spool's last error; best effort (the failure itself is what propagates)."""
    try:
        with Spool(config.state_dir / SPOOL_FILE, max_bytes=config.spool_max_bytes,
                   max_reports=config.spool_max_reports) as spool:
            spool.note("error", detail)
    except AgentError as exc:
        log.debug("cannot note the failure in the spool: %s", exc)


def run_reports(config: AgentConfig, stop: threading.Event) -> None:
    """Report every interval (plus jitter) until `stop` is set; a failed cycle is logged, never fatal."""

    def cycle(heavy: Sequence[str] | None) -> None:
        skip = {name: memory_ceiling_reason(config.memory_ceiling_mb) for name in heavy or ()}
        try:
            log.info("%s", report_once(config, once=False, skip=skip).summary())
        except TransportError as exc:
            log.warning("%s; retrying at the next interval", exc)

    run_daemon(interval_s=config.interval_s, jitter_s=config.jitter_s, memory_ceiling_mb=config.memory_ceiling_mb,
               cycle=cycle, stop=stop)

"""The writer process's side of `serve --workers N`: start, feed, watch and stop the front-ends.

Each front-end (collector/serve/frontend.py) has a pipe to this process and a thread here reading it:
decoded reports go straight into the ingest pipeline, and every commit sends each front-end the
outcomes of its reports in one message. Calls a front-end makes (enrolment) run on a small thread
pool, because answering one may need the other front-ends (each applies the new key before the
agent gets it). A front-end that dies is started again after a pause; the reports it held were not
acked, so their agents re-send them.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any

from collector.config import ServeConfig
from collector.errors import NetcensusError, UsageError
from collector.ingest.enrolment import EnrolAttempt, Refusal
from collector.ingest.pipeline import IngestPipeline, Outcome, PipelineBusy, Relay
from collector.logs import JsonFormatter
from collector.serve.frontend import FrontendSpec, main
from collector.serve.metrics import GAUGE_FAMILIES, Sample
from collector.serve.relay import Channel, ChannelClosed, outcome_fields
from collector.serve.service import Keyring

log = logging.getLogger("netcensus.workers")

START_TIMEOUT_S = 60.0
BROADCAST_TIMEOUT_S = 10.0
_RESTART_PAUSE_S = (1.0, 2.0, 5.0, 10.0, 30.0)


class _Frontend:
    """One front-end process and the thread reading its pipe; the pipeline's sink for its outcomes."""

    def __init__(self, pool: FrontendPool, index: int, generation: int) -> None:
        self.pool = pool
        self.index = index
        self.generation = generation
        parent, child = multiprocessing.Pipe(duplex=True)
        self.channel = Channel(parent)
        self.process: BaseProcess = pool.context.Process(
            target=main, args=(pool.spec(index), child), name=f"netcensus-frontend-{index}", daemon=True)
        self._child = child
        self.ready = threading.Event()
        self.failure = ""
        self.drained = threading.Event()
        self.samples: list[Sample] = []
        self._reap = threading.Lock()  # one thread at a time may wait for the process (see join)
        self._reader = threading.Thread(target=self._read, name=f"frontend-{index}-pipe", daemon=True)

    def start(self) -> None:
        self.process.start()
        self._child.close()  # only the front-end holds its end now: its death closes the pipe
        self._reader.start()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` for the process to end; True once it has.

        Serialised: when two threads wait for one child, the loser's waitpid fails and
        multiprocessing then reports the child as alive, so a stopped front-end looked hung."""
        with self._reap:
            self.process.join(timeout)
            return self.process.exitcode is not None

    def alive(self) -> bool:
        """Whether the process is still running (asked under the same lock as join)."""
        with self._reap:
            return self.process.exitcode is None

    def kill(self) -> None:
        """SIGKILL the process unless it has already ended (and been reaped)."""
        with self._reap:
            if self.process.exitcode is None:
                self.process.kill()

    def deliver(self, pairs: list[tuple[int, Outcome]]) -> None:
        """OutcomeSink: one commit's outcomes for this front-end, in one message."""
        with contextlib.suppress(ChannelClosed):  # it died; its agents re-send what was not acked
            fields = [(token, outcome_fields(o)) for token, o in pairs]
            self.channel.send(("outcomes", fields, self.pool.pipeline.depth))

    def _read(self) -> None:
        pipeline = self.pool.pipeline
        while True:
            try:
                message = self.channel.recv()
            except ChannelClosed:
                break
            kind = message[0]
            if kind == "submit":
                busy: list[tuple[int, Outcome]] = []
                for token, report in message[1]:
                    try:
                        pipeline.submit_to_loop(report, Relay(self, token))
                    except PipelineBusy:
                        busy.append((token, Outcome(report.report_id, error="collector is busy; retry later",
                                                    retryable=True)))
                if busy:
                    self.deliver(busy)
            elif kind == "reply":
                self.channel.settle(message[1], message[2], message[3])
            elif kind == "call":
                call_id, name, args = message[1], message[2], message[3]
                self.pool.executor.submit(self.channel.answer, call_id, self.pool.calls[name], args)
            elif kind == "metrics":
                self.samples = message[1]
            elif kind == "ready":
                self.ready.set()
            elif kind == "failed":
                self.failure = str(message[1])
                self.ready.set()
            elif kind == "drained":
                self.drained.set()
        self.ready.set()
        self.drained.set()
        self.pool.ended(self)


class FrontendPool:
    """N front-end processes sharing the public port, fed into one ingest pipeline."""

    def __init__(self, *, config: ServeConfig, count: int, port: int, internal: str, keyring: Keyring,
                 pipeline: IngestPipeline, enrol: Callable[[EnrolAttempt], Refusal | None]) -> None:
        self.config = config
        self.count = count
        self.port = port
        self.internal = internal
        self.keyring = keyring
        self.pipeline = pipeline
        self.context = multiprocessing.get_context("spawn")
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="frontend-call")
        self.calls: dict[str, Callable[..., Any]] = {"enrol": enrol}
        self._lock = threading.Lock()
        self._live: dict[int, _Frontend] = {}
        self._retired: dict[tuple[str, str, tuple[tuple[str, str], ...]], float] = {}
        self._restarts: dict[int, int] = {}
        self._stopping = False

    def spec(self, index: int) -> FrontendSpec:
        """What front-end `index` is started with (the key hashes as of now)."""
        root = logging.getLogger()
        json_logs = any(isinstance(h.formatter, JsonFormatter) for h in root.handlers)
        hashes, revoked = self.keyring.snapshot()
        return FrontendSpec(index=index, config=self.config, port=self.port, internal=self.internal,
                            key_hashes=hashes, revoked=frozenset(revoked), kinds=self.keyring.kinds(),
                            certs=self.keyring.certs(),
                            log_level=logging.getLevelName(root.level), log_format="json" if json_logs else "text")

    def start(self) -> None:
        """Start every front-end and wait until each listens; UsageError when one cannot."""
        started = [self._spawn(index, 0) for index in range(self.count)]
        deadline = time.monotonic() + START_TIMEOUT_S
        for frontend in started:
            if not frontend.ready.wait(max(0.0, deadline - time.monotonic())):
                raise UsageError(f"front-end {frontend.index} did not start within {START_TIMEOUT_S:g} s")
            if frontend.failure or not frontend.alive():
                raise UsageError(f"cannot start the front-end processes: {frontend.failure or 'it exited'}")
        log.info("%d front-end processes serving port %d", self.count, self.port)

    def _spawn(self, index: int, generation: int) -> _Frontend:
        # Its key snapshot is taken and it joins the broadcast list in one step: an enrolment
        # changes the keyring before it broadcasts, so either the snapshot has the new key or the
        # broadcast reaches this front-end (queued in its pipe until it runs).
        with self._lock:
            frontend = _Frontend(self, index, generation)
            self._live[index] = frontend
        frontend.start()
        return frontend

    def ended(self, frontend: _Frontend) -> None:
        """A front-end's pipe closed: keep its counts, and start a new one unless we are stopping."""
        frontend.join(5)
        with self._lock:
            if self._live.get(frontend.index) is frontend:
                del self._live[frontend.index]
            for family, name, labels, value in frontend.samples:
                if family not in GAUGE_FAMILIES:
                    key = (family, name, tuple(sorted(labels.items())))
                    self._retired[key] = self._retired.get(key, 0.0) + value
            if self._stopping or not frontend.ready.is_set() or frontend.failure:
                return
        restarts = self._restarts[frontend.index] = self._restarts.get(frontend.index, 0) + 1
        pause = _RESTART_PAUSE_S[min(restarts, len(_RESTART_PAUSE_S)) - 1]
        log.error("front-end %d ended (exit code %s); starting it again in %g s", frontend.index,
                  frontend.process.exitcode, pause)
        timer = threading.Timer(pause, self._restart, args=(frontend.index, frontend.generation + 1))
        timer.daemon = True
        timer.start()

    def _restart(self, index: int, generation: int) -> None:
        with self._lock:
            if self._stopping or index in self._live:
                return
        frontend = self._spawn(index, generation)
        if frontend.ready.wait(START_TIMEOUT_S) and not frontend.failure:
            log.info("front-end %d serving again", index)
        else:
            log.error("front-end %d did not start again: %s", index, frontend.failure or "timed out")

    def broadcast(self, name: str, *args: Any) -> None:
        """Have every live front-end run `name(*args)` and wait until each has (key changes)."""
        with self._lock:
            live = list(self._live.values())
        for frontend in live:
            try:
                frontend.channel.call(name, *args, timeout=BROADCAST_TIMEOUT_S)
            except NetcensusError as exc:  # gone, hung, or failed to apply it: never serve the old keys
                # Killed here, it is restarted with the keys as they are now (the keyring of this
                # process changed before the broadcast); the other front-ends still get the change.
                log.error("front-end %d did not apply %s (%s); restarting it", frontend.index, name, exc)
                frontend.kill()

    def samples(self) -> list[Sample]:
        """Every front-end's latest metric values, plus the counts of those that have ended."""
        with self._lock:
            live = [s for f in self._live.values() for s in f.samples]
            retired = [(family, name, dict(labels), value) for (family, name, labels), value in self._retired.items()]
        return live + retired

    def stop(self, grace: float = 5.0) -> None:
        """Let every front-end finish its calls (up to `grace`), then end them; idempotent."""
        with self._lock:
            self._stopping = True
            live = list(self._live.values())
        for frontend in live:
            with contextlib.suppress(ChannelClosed):
                frontend.channel.tell("drain", grace)
        deadline = time.monotonic() + grace + 10.0
        for frontend in live:
            frontend.drained.wait(max(0.0, deadline - time.monotonic()))
            if not frontend.join(max(0.1, deadline - time.monotonic())):
                log.warning("front-end %d did not stop in time; killing it", frontend.index)
                frontend.kill()
                frontend.join(5)
            frontend.channel.close()
        self.executor.shutdown(wait=False)

"""Run collectors concurrently, each under a deadline, and turn every outcome into a status.

Modelled on OpenTelemetry's resource detectors: each collector runs in its own worker thread;
one that raises, or hangs past the deadline, becomes a FAILED/TIMED_OUT `CollectorStatus` and the
run goes on. Workers are daemon threads rather than a `ThreadPoolExecutor` on purpose: an
executor joins its workers at interpreter exit, so a collector stuck in an uninterruptible read
(a hung NFS home directory, a wedged sysfs attribute) would keep the agent from ever exiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence, Sized
from typing import Any, Generic, TypeVar

from agent.errors import CollectionError
from agent.facts.model import CollectorState, CollectorStatus

T = TypeVar("T")

NOT_PRESENT = "not present"


class NotApplicable(CollectionError):
    """Raised by a collector whose source exists but cannot answer here; yields SKIPPED with the reason.

    E.g. apt is installed but no security suite was ever fetched: not a failure of the machine,
    and not "no pending updates" either.
    """


def count_items(value: object) -> int:
    """Items a collector produced: the length of a collection, else 1 for a known value, 0 for unknown."""
    if isinstance(value, Sized) and not isinstance(value, str):
        return len(value)
    return 1 if value else 0


class Job(Generic[T]):
    """One collector call running in a daemon thread.

    Attributes:
        name: collector name reported in the status.
        is_present: cheap check; False gives SKIPPED "not present". Runs in the worker thread
            too, because even a stat() can hang on a dead network filesystem.
        collect: does the I/O and returns the value.
        count: how many items the value holds (for CollectorStatus.items).
        skip_reason: when set, the job is not run at all and reports SKIPPED with this reason
            (the daemon's memory ceiling uses it).
    """

    def __init__(self, name: str, is_present: Callable[[], bool], collect: Callable[[], T],
                 count: Callable[[T], int] = count_items, skip_reason: str = "") -> None:
        self.name = name
        self.is_present = is_present
        self.collect = collect
        self.count = count
        self.skip_reason = skip_reason
        self._done = threading.Event()
        self._value: T | None = None
        self._status: CollectorStatus | None = None
        self._started = 0.0

    def start(self) -> None:
        """Start the worker thread."""
        self._started = time.monotonic()
        if self.skip_reason:
            self._status = CollectorStatus(self.name, CollectorState.SKIPPED, 0, reason=self.skip_reason)
            self._done.set()
            return
        threading.Thread(target=self._work, name=f"netcensus-facts-{self.name}", daemon=True).start()

    def _elapsed_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    def _work(self) -> None:
        try:
            if not self.is_present():
                self._status = CollectorStatus(self.name, CollectorState.SKIPPED, self._elapsed_ms(),
                                               reason=NOT_PRESENT)
                return
            value = self.collect()
            self._value = value
            self._status = CollectorStatus(self.name, CollectorState.OK, self._elapsed_ms(),
                                           items=self.count(value))
        except NotApplicable as exc:
            self._status = CollectorStatus(self.name, CollectorState.SKIPPED, self._elapsed_ms(),
                                           reason=str(exc) or NOT_PRESENT)
        except CollectionError as exc:
            self._status = CollectorStatus(self.name, CollectorState.FAILED, self._elapsed_ms(),
                                           reason=str(exc) or type(exc).__name__)
        # A third-party parser may raise anything; failures are data (STYLE.md habit 3), so the
        # exception is logged with its traceback and reported instead of aborting the run.
        except Exception as exc:
            import logging  # imported here, on the rare failure, to keep it off the one-shot start-up

            logging.getLogger(__name__).warning("collector %s failed", self.name, exc_info=True)
            self._status = CollectorStatus(self.name, CollectorState.FAILED, self._elapsed_ms(),
                                           reason=f"{type(exc).__name__}: {exc}")
        finally:
            self._done.set()

    def wait(self, deadline: float) -> None:
        """Block until the job finished or the monotonic `deadline` passed."""
        self._done.wait(max(0.0, deadline - time.monotonic()))

    def status(self, timeout_s: float) -> CollectorStatus:
        """The job's status; TIMED_OUT when it has not finished (its late result is discarded)."""
        if self._done.is_set() and self._status is not None:
            return self._status
        return CollectorStatus(self.name, CollectorState.TIMED_OUT, int(timeout_s * 1000),
                               reason=f"no result within {timeout_s:g}s")

    def value(self) -> T | None:
        """The collected value, or None unless the job finished OK in time."""
        if self._done.is_set() and self._status is not None and self._status.state is CollectorState.OK:
            return self._value
        return None


def run_jobs(jobs: Sequence[Job[Any]], timeout_s: float) -> None:
    """Start every job, then wait until each finished or `timeout_s` after the start passed."""
    deadline = time.monotonic() + timeout_s
    for job in jobs:
        job.start()
    for job in jobs:
        job.wait(deadline)

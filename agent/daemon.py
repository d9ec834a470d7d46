"""The agent's report loop: run a cycle every interval plus jitter, under a memory ceiling.

`run_daemon` owns only scheduling and self-restraint; what a cycle does (collect, encode, send)
is the caller's `cycle` function, so the loop is tested with a fake clock and no collector.

Memory: before each cycle the agent's own resident set size is compared with the ceiling. Over
it, the cycle is told to skip the heavy collectors (big package databases, apt indices); they
are then reported SKIPPED with the reason `memory_ceiling_reason(N)`, so the collector sees why
the software list is missing instead of reading it as "everything was removed". After every
cycle the garbage collector runs and glibc is asked to hand freed heap back to the kernel
(malloc_trim), because CPython's allocator otherwise keeps the peak of a collection run
resident for the daemon's whole life. The hard limit is systemd's MemoryMax (see
packaging/systemd/netcensus-agent.service); the ceiling keeps the agent well below it.

Idle CPU: between cycles the thread blocks in `stop.wait(delay)`, so an idle agent costs
nothing until the next cycle or until `stop` is set (SIGTERM handling sets it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence

from agent.errors import CollectionError
from agent.facts.software.registry import source_names

log = logging.getLogger(__name__)

# Collectors whose memory use grows with what the machine has installed: every software source (read
# from the one registry, so a new source is skipped too) and apt's security indices. Everything else
# reads a few small files.
HEAVY_COLLECTORS: tuple[str, ...] = (*source_names(), "security_updates")


def memory_ceiling_reason(ceiling_mb: int) -> str:
    """The SKIPPED reason for a collector left out under the ceiling."""
    return f"memory ceiling {ceiling_mb} MB reached"


def own_rss_bytes() -> int:
    """This process's resident set size, via the psutil adapter; 0 when it cannot be read."""
    from agent.facts import _psutil

    try:
        return _psutil.own_rss_bytes()
    except CollectionError:
        return 0


def _load_malloc_trim() -> Callable[[], None]:
    """glibc's malloc_trim(0), or a no-op where there is none (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    except OSError:
        trim = None
    if trim is None:
        return lambda: None

    def release() -> None:
        trim(0)

    return release


def release_memory() -> None:
    """Collect garbage and return freed heap pages to the OS."""
    gc.collect()
    _malloc_trim()


_malloc_trim = _load_malloc_trim()


def run_daemon(
    *,
    interval_s: float,
    jitter_s: float,
    memory_ceiling_mb: int,
    cycle: Callable[[Sequence[str] | None], None],
    stop: threading.Event,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] | None = None,
    rss: Callable[[], int] = own_rss_bytes,
    rand: Callable[[float, float], float] = random.uniform,
    heavy: Sequence[str] = HEAVY_COLLECTORS,
    release: Callable[[], None] = release_memory,
    first_delay_s: float = 0.0,
) -> None:
    """Run `cycle` every `interval_s` + uniform(0, `jitter_s`) seconds until `stop` is set.

    The next start is scheduled from the previous cycle's *start*, so a slow cycle does not
    push the cadence; a cycle that overran the whole interval is followed at once by the next.
    Jitter is drawn afresh each time so a fleet started together (after a power cut, a mass
    deploy) spreads out instead of reporting in lockstep.

    A cycle that raises is logged in one line and the loop goes on: a collector outage or a bad
    host must never stop the agent. KeyboardInterrupt and SystemExit still end it.

    Args:
        interval_s: base period between cycle starts; must be positive.
        jitter_s: up to this much random extra delay per period (0 disables).
        memory_ceiling_mb: when RSS exceeds this before a cycle, the cycle gets `heavy` as its
            skip list; otherwise None. 0 disables the check.
        cycle: one report; called with the collector names to skip (or None).
        stop: set it (e.g. from a SIGTERM handler) to end the loop; waiting wakes at once.
        clock: monotonic seconds; tests pass a fake.
        sleep: waits up to the given seconds and may return early when `stop` is set; defaults
            to `stop.wait`. A fake clock's sleep advances the clock instead.
        rss: this process's resident set size in bytes.
        rand: uniform(a, b) for the jitter.
        heavy: collector names skipped over the ceiling.
        release: called after each cycle to give memory back (gc + malloc_trim by default).
        first_delay_s: wait this long before the first cycle (0 reports at once on start).
    """
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    wait = sleep if sleep is not None else stop.wait
    ceiling = memory_ceiling_mb * 1024 * 1024
    if first_delay_s > 0:
        wait(first_delay_s)
    while not stop.is_set():
        started = clock()
        used = rss() if ceiling else 0
        skip: Sequence[str] | None = None
        if ceiling and used > ceiling:
            skip = tuple(heavy)
            log.warning("memory %d MB over the %d MB ceiling; skipping %s this cycle",
                        used // (1024 * 1024), memory_ceiling_mb, ", ".join(skip))
        try:
            cycle(skip)
        except Exception as exc:  # one bad cycle must not end the daemon
            # Failures are data (STYLE.md habit 3): one line, details at debug level, carry on.
            log.warning("report cycle failed: %s: %s", type(exc).__name__, exc)
            log.debug("report cycle traceback", exc_info=True)
        finally:
            release()
        if stop.is_set():
            break
        period = interval_s + (rand(0.0, jitter_s) if jitter_s > 0 else 0.0)
        delay = max(0.0, started + period - clock())
        wait(delay)

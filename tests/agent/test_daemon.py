"""run_daemon: cadence with jitter, memory ceiling, failing cycles, stop — on a fake clock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from agent.daemon import HEAVY_COLLECTORS, memory_ceiling_reason, run_daemon
from agent.facts.collect import collect_inventory
from agent.facts.model import CollectorState

MB = 1024 * 1024


class FakeClock:
    """Monotonic time that only moves when the daemon sleeps or a cycle 'takes' time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.now += seconds
        return False


def _run(clock: FakeClock, *, cycles: int, durations: Sequence[float] = (), rss_mb: Sequence[int] = (),
         jitter: float = 0.0, fail_on: Sequence[int] = (), **kw: object) -> list[tuple[float, Sequence[str] | None]]:
    stop = threading.Event()
    calls: list[tuple[float, Sequence[str] | None]] = []
    rss_iter = iter(rss_mb)

    def cycle(skip: Sequence[str] | None) -> None:
        calls.append((clock.now, skip))
        if len(calls) <= len(durations):
            clock.now += durations[len(calls) - 1]
        if len(calls) in fail_on:
            raise ConnectionError("collector 192.0.2.1:50051 unreachable")
        if len(calls) >= cycles:
            stop.set()

    run_daemon(interval_s=3600, jitter_s=jitter, memory_ceiling_mb=50, cycle=cycle, stop=stop, clock=clock,
               sleep=clock.sleep, rss=lambda: next(rss_iter, 10) * MB, rand=lambda a, b: b / 2,
               release=lambda: None, **kw)  # type: ignore[arg-type]
    return calls


def test_cycles_start_every_interval_plus_jitter_from_the_previous_start() -> None:
    clock = FakeClock()
    calls = _run(clock, cycles=3, durations=[12.0, 30.0, 1.0], jitter=300)
    starts = [t for t, _ in calls]
    # rand gives half the jitter: 150 s; the cycle's own duration is absorbed, not added.
    assert starts == [1000.0, 1000.0 + 3750, 1000.0 + 2 * 3750]
    assert clock.sleeps == [3750 - 12.0, 3750 - 30.0]


def test_overrunning_cycle_is_followed_at_once() -> None:
    clock = FakeClock()
    calls = _run(clock, cycles=2, durations=[4000.0])
    assert [t for t, _ in calls] == [1000.0, 5000.0]
    assert clock.sleeps == [0.0]


def test_memory_ceiling_skips_heavy_collectors_only_while_over() -> None:
    clock = FakeClock()
    calls = _run(clock, cycles=3, rss_mb=[30, 70, 40])
    assert [skip for _, skip in calls] == [None, HEAVY_COLLECTORS, None]
    assert memory_ceiling_reason(50) == "memory ceiling 50 MB reached"


def test_zero_ceiling_disables_the_check() -> None:
    clock = FakeClock()
    stop = threading.Event()
    seen: list[Sequence[str] | None] = []

    def cycle(skip: Sequence[str] | None) -> None:
        seen.append(skip)
        stop.set()

    def rss() -> int:
        raise AssertionError("not consulted when the ceiling is 0")

    run_daemon(interval_s=60, jitter_s=0, memory_ceiling_mb=0, cycle=cycle, stop=stop, clock=clock,
               sleep=clock.sleep, rss=rss, release=lambda: None)
    assert seen == [None]


def test_failing_cycle_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    calls = _run(clock, cycles=3, fail_on=[1, 2])
    assert len(calls) == 3
    assert "report cycle failed: ConnectionError: collector 192.0.2.1:50051 unreachable" in caplog.text


def test_first_delay_and_release_after_each_cycle() -> None:
    clock = FakeClock()
    stop = threading.Event()
    released: list[float] = []

    def cycle(skip: Sequence[str] | None) -> None:
        if clock.now > 1000.0 + 3 * 60:
            stop.set()

    run_daemon(interval_s=60, jitter_s=0, memory_ceiling_mb=50, cycle=cycle, stop=stop, clock=clock,
               sleep=clock.sleep, rss=lambda: 0, release=lambda: released.append(clock.now), first_delay_s=45)
    assert clock.sleeps[0] == 45
    assert released == [1045.0, 1105.0, 1165.0, 1225.0]


def test_bad_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        run_daemon(interval_s=0, jitter_s=0, memory_ceiling_mb=0, cycle=lambda skip: None, stop=threading.Event())


def test_stop_wakes_a_real_wait_at_once() -> None:
    # Default sleep is stop.wait: setting stop from another thread (a SIGTERM handler) ends an
    # hour-long wait immediately.
    stop = threading.Event()
    ran = threading.Event()

    def cycle(skip: Sequence[str] | None) -> None:
        ran.set()

    thread = threading.Thread(target=run_daemon, kwargs={
        "interval_s": 3600, "jitter_s": 0, "memory_ceiling_mb": 0, "cycle": cycle, "stop": stop})
    thread.start()
    assert ran.wait(5)
    started = time.monotonic()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 2


def test_skip_list_reaches_collect_inventory_statuses() -> None:
    # The wiring the CLI uses: skip names -> {name: reason} -> SKIPPED statuses.
    root = Path(__file__).resolve().parent.parent / "data/agent/roots/debian-laptop"
    reason = memory_ceiling_reason(50)
    inv = collect_inventory(root, skip=dict.fromkeys(HEAVY_COLLECTORS, reason))
    skipped = {s.name for s in inv.collectors if s.state is CollectorState.SKIPPED and s.reason == reason}
    assert skipped == set(HEAVY_COLLECTORS)
    assert inv.software == ()
    assert inv.facts.timezone == "Europe/Berlin"


def test_daemon_module_is_import_light() -> None:
    code = ("import sys, agent.daemon; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('duckdb', 'pyarrow', 'scapy', 'pysnmp', 'nmap', 'collector', 'grpc', 'psutil')); print(','.join(bad))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == ""

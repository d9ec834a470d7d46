"""Pausing Python's cyclic garbage collector around bulk, acyclic object building (pure; no I/O).

A process-wide switch, so it is thrown at the collector's boundaries only, never inside the pure
core (identity resolution and reconciliation) nor in the store: `paused_gc` once around `refresh()`
(collector/inventory/refresh.py), `settle_for_serving` once a serving process has started.

A refresh loads, resolves and reconciles a few hundred thousand small objects (subjects, assets,
findings, their lists and dicts) that hold no reference cycles. CPython 3.11 still runs a full
collection every time the number of surviving objects grows by a quarter, and each one walks every
tracked object in the process: for 100,000 assets that is more than half the run, spent finding
nothing.
Reference counting frees everything as usual while the collector is paused.

Leaving the pause has its own cost: the first allocation after it runs a young-generation
collection, and every object built during the pause is still "young", so that one pass walks all of
them (over a million objects, about 0.2 s, for 100,000 assets) to find that they all survive —
and the next middle-generation pass walks them again. They are results, meant to live: so the pause
ends by promoting everything straight to the oldest generation (`gc.freeze()` then `gc.unfreeze()`,
two constant-time list splices), where they wait for the next full collection like any other
long-lived object. A garbage cycle made during the pause is collected then too, a little later than
a young collection would have. Promotion is skipped when something else in the process has frozen
objects (a pre-fork server): unfreezing would hand them back to the collector.

The pause is counted and locked, so overlapping callers in several threads (the collector serves
queries while it refreshes) restore the collector only when the last of them leaves, and only if
it was enabled when the first one came in.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the body with the cyclic collector off; nestable and thread-safe."""
    global _depth, _was_enabled  # noqa: PLW0603 - one process-wide switch, guarded by _lock
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                if gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()


def settle_for_serving(young_threshold: int = 20_000) -> None:
    """Once a long-running collector has started: freeze what start-up built, collect less often.

    Why: a serving collector holds a few hundred thousand long-lived objects (imported modules,
    protobuf descriptors, pyarrow and DuckDB bindings, then one task, queue and call object per
    agent stream), and every full collection walks all of them to find nothing. Under load,
    profiles of 2,000 concurrent streams showed the cyclic collector at 30-40 % of the event
    loop's time. `gc.freeze()` moves everything built so far to the permanent generation, which
    collections skip; a larger young-generation threshold makes the short-lived garbage of the
    ingest path (decoded columns, acks) cost fewer, larger passes. Reference counting frees
    almost all of it anyway. Call it from the process that owns the interpreter (serve), not
    from a library user's process.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)


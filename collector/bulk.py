"""Pausing Python's cyclic garbage collector around bulk, acyclic object building (pure; no I/O).

Resolution and reconciliation build a few hundred thousand small objects (assets, findings, their
lists and dicts) that hold no reference cycles. CPython 3.11 still runs a full collection every
time the number of surviving objects grows by a quarter, and each one walks every tracked object
in the process: for 100,000 assets that is more than half the run, spent finding nothing.
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

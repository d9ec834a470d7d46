"""The pipe between the collector's writer process and its front-end processes (`serve --workers N`).

Why a pipe of pickled tuples: the two ends are our own processes, started together from the same
code, so nothing versioned or language-neutral is needed; a socketpair with one pickle per message
costs ~30 µs for a decoded 50-package report, against ~250 µs of gRPC handling and decoding moved
off the writer's core. Messages are tuples whose first item names them:

front-end → writer: ("ready", port) | ("failed", message) | ("submit", [(token, IngestReport), ...])
                    | ("metrics", samples) | calls and replies (below)
writer → front-end: ("outcomes", [(token, outcome fields), ...], queue depth) | calls and replies

A call is ("call", id, name, args) answered by ("reply", id, result, error); either side may call
the other (a front-end asks the writer to persist an enrolment; the writer asks every front-end to
apply a key change before it answers the enrolment or revocation that made it).
"""

from __future__ import annotations

import itertools
import pickle
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from collector.errors import NetcensusError
from collector.ingest.pipeline import Outcome

Message = tuple[Any, ...]
OutcomeFields = tuple[str, bool, str, bool, bool, int]


def outcome_fields(outcome: Outcome) -> OutcomeFields:
    """An Outcome as the pipe carries it (a tuple pickles in a fraction of a dataclass's time)."""
    return (outcome.report_id, outcome.duplicate, outcome.error, outcome.retryable, outcome.need_full_snapshot,
            outcome.retry_after_ms)


def outcome_from(fields: OutcomeFields) -> Outcome:
    """The Outcome outcome_fields() made the tuple of."""
    report_id, duplicate, error, retryable, need_full, retry_after_ms = fields
    return Outcome(report_id, duplicate=duplicate, error=error, retryable=retryable, need_full_snapshot=need_full,
                   retry_after_ms=retry_after_ms)


class ChannelClosed(NetcensusError):
    """The other end of the pipe is gone (its process ended)."""


class Channel:
    """One end of the pipe: sends are whole messages, serialised by a lock (several threads send);
    pickling happens before the lock so senders only queue for the write itself."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._calls = itertools.count(1)
        self._waiting: dict[int, tuple[threading.Event, list[Any]]] = {}
        self.closed = False

    def send(self, message: Message) -> None:
        """Send one message; raises ChannelClosed when the other process is gone."""
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            with self._lock:
                self._conn.send_bytes(data)
        except (OSError, ValueError) as exc:
            self.closed = True
            raise ChannelClosed("the other collector process is gone") from exc

    def recv(self) -> Message:
        """The next message (blocking); raises ChannelClosed at end of file."""
        try:
            # S301: both ends are this collector's own processes, started together (see above).
            message: Message = pickle.loads(self._conn.recv_bytes())  # noqa: S301
        except (EOFError, OSError) as exc:
            self.closed = True
            self._fail_waiting()
            raise ChannelClosed("the other collector process is gone") from exc
        return message

    def call(self, name: str, *args: Any, timeout: float = 30.0) -> Any:
        """Ask the other process to run `name(*args)` and wait for its result (from any thread
        except the one that reads this channel, which must stay free to receive the reply)."""
        call_id = next(self._calls)
        done = threading.Event()
        slot: list[Any] = []
        self._waiting[call_id] = (done, slot)
        try:
            self.send(("call", call_id, name, args))
            if not done.wait(timeout):
                raise ChannelClosed(f"no answer to {name} within {timeout:g} s")
        finally:
            self._waiting.pop(call_id, None)
        result, error = slot
        if error and self.closed:
            raise ChannelClosed(f"the other collector process ended before answering {name}")
        if error:
            raise ChannelCallFailed(error)
        return result

    def tell(self, name: str, *args: Any) -> None:
        """Ask the other process to run `name(*args)` without waiting for it (its reply is ignored)."""
        self.send(("call", 0, name, args))

    def settle(self, call_id: int, result: Any, error: str) -> None:
        """Deliver a ("reply", ...) to the thread waiting in call()."""
        waiting = self._waiting.get(call_id)
        if waiting is not None:
            waiting[1][:] = [result, error]
            waiting[0].set()

    def answer(self, call_id: int, run: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """Run a call of the other side and send its reply (errors travel as one line of text)."""
        try:
            result, error = run(*args), ""
        except NetcensusError as exc:
            result, error = None, str(exc)
        except Exception as exc:  # noqa: BLE001 - the caller gets the reason; this process keeps serving
            result, error = None, f"{type(exc).__name__}: {exc}"
        self.send(("reply", call_id, result, error))

    def _fail_waiting(self) -> None:
        for done, slot in list(self._waiting.values()):
            slot[:] = [None, "the other collector process is gone"]
            done.set()

    def close(self) -> None:
        """Close this end; the other side's recv() then sees end of file."""
        self.closed = True
        self._conn.close()


class ChannelCallFailed(NetcensusError):
    """The other process ran the call and it failed; the message says why."""

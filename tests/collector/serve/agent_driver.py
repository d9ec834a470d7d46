"""A simulated agent as a real process: spool N reports, deliver them with retries, log every ack.

    python -m tests.collector.serve.agent_driver --collector HOST:PORT --state-dir DIR --count N --items M --acks FILE

Uses the agent's own spool, courier and client (the code under test); with --count 0 it only
drains what an earlier (killed) run left in the spool. Prints "done <acked>" when the spool is empty.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from netcensus.v1 import report_pb2

from agent.transport.backoff import Backoff
from agent.transport.client import IngestClient
from agent.transport.deliver import Courier
from agent.transport.spool import Priority, Spool
from agent.transport.state import NodeState
from tests.collector.serve.helpers import snapshot


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--collector", required=True)
    p.add_argument("--state-dir", type=Path, required=True)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--items", type=int, default=20)
    p.add_argument("--acks", type=Path, required=True)
    p.add_argument("--deadline", type=float, default=120)
    p.add_argument("--drain-every", type=int, default=25, help="try to deliver after this many new reports")
    args = p.parse_args()
    state = NodeState.load(args.state_dir / "state.json")
    state.ensure_source_id()
    spool = Spool(args.state_dir / "spool.sqlite")
    ack_log = args.acks.open("a", encoding="utf-8")

    def on_acked(ids: list[str]) -> None:
        ack_log.write("".join(f"{i}\n" for i in ids))
        ack_log.flush()
        os.fsync(ack_log.fileno())

    client = IngestClient(args.collector, state, kind=report_pb2.SOURCE_KIND_AGENT, timeout_s=10)
    courier = Courier(spool, client, batch=100, backoff=Backoff(base_s=0.1, cap_s=1.0), on_acked=on_acked)
    deadline = time.monotonic() + args.deadline
    with (args.state_dir / "sent.txt").open("a", encoding="utf-8") as sent:
        for n in range(args.count):
            report = snapshot(state.source_id, state.take_seq(), args.items, tag=args.state_dir.name)
            spool.put(report.report_id, report.seq, Priority.IDENTITY, report.SerializeToString())
            sent.write(f"{report.report_id}\n")
            sent.flush()
            if (n + 1) % args.drain_every == 0:
                try:
                    courier.drain_once()
                except Exception as exc:  # noqa: BLE001 - keep producing while the collector is down
                    print(f"drain: {exc}", file=sys.stderr, flush=True)
    result = courier.drain(deadline=deadline)
    print(f"done {result.acked} remaining {result.remaining}", flush=True)


if __name__ == "__main__":
    main()

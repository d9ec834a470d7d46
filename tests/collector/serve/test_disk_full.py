"""A full disk under the collector's database (issue 14: durability).

Found: commits failing with "No space left on device" were acked REJECTED, and the agent deleted
those reports from its spool. Now a storage failure is answered UNAVAILABLE with retry-after, the
agent keeps every report, and once space is back every report is stored exactly once.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from netcensus.v1 import report_pb2

from agent.transport.backoff import Backoff
from agent.transport.client import IngestClient, Pushback
from agent.transport.deliver import Courier
from agent.transport.spool import Priority, Spool
from agent.transport.state import NodeState
from tests.collector.serve.helpers import snapshot
from tests.tmpfs import fill, small_tmpfs

REPORTS = 25


def test_full_disk_under_the_database_rejects_and_loses_nothing(tmp_path: Path, empty_rules: Path) -> None:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    agent_dir = tmp_path / "agent"
    with small_tmpfs(tmp_path / "dbfs", size_kb=16 * 1024) as fs:
        config = ServeConfig(db=fs / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(empty_rules,),
                             ghost_after=timedelta(days=14), refresh_interval=timedelta(0), open_enrolment=True)
        with BackgroundCollector(config) as c:
            state = NodeState.load(agent_dir / "state.json")
            spool = Spool(agent_dir / "spool.sqlite")
            client = IngestClient(c.target, state, kind=report_pb2.SOURCE_KIND_AGENT, timeout_s=60)
            courier = Courier(spool, client, batch=100, backoff=Backoff(base_s=0.1, cap_s=0.5))
            try:
                client.ensure_enrolled()  # while there is room: enrolment is not what this test is about
                filler = fill(fs)
                ids = []
                for seq in range(1, REPORTS + 1):
                    report = snapshot(state.source_id, seq, items=200, tag=f"full{seq}")
                    spool.put(report.report_id, seq, Priority.IDENTITY, report.SerializeToString())
                    ids.append(report.report_id)

                with pytest.raises(Pushback) as refused:
                    courier.drain_once()
                assert "retry later" in str(refused.value) or "cannot store" in str(refused.value)
                assert refused.value.retry_after_s >= 1.0, "the collector names a retry-after"
                assert spool.stats().depth == REPORTS, "every report stays in the agent's spool"
                assert spool.stats().counters["rejected"] == 0
                assert c.collector.pipeline.retried > 0
                assert c.collector.pipeline.failed == 0, "no report was refused for the disk's sake"
                with pytest.raises(Pushback):  # still full: still answered, still retryable
                    courier.drain_once()
                assert spool.stats().depth == REPORTS

                filler.unlink()  # space is back: the same collector, without a restart, takes them all
                result = courier.drain(deadline=time.monotonic() + 90)
                assert (result.acked, result.rejected, result.remaining) == (REPORTS, 0, 0)
                assert spool.stats().counters["rejected"] == 0
            finally:
                client.close()
                spool.close()
            rows = c.collector.store.query("SELECT report_id, count(*) AS n FROM reports GROUP BY 1")
            assert {str(r["report_id"]) for r in rows} == set(ids)
            assert all(r["n"] == 1 for r in rows), "a report is stored twice"
            sightings = c.collector.store.query(
                "SELECT count(*) AS n FROM sightings WHERE report_id IN (SELECT unnest(?))", [ids])
            assert sightings == [{"n": REPORTS}]

"""Outcomes cross the front-end pipe whole: a storage failure's retry-after reaches the agent with --workers too."""

from __future__ import annotations

from collector.ingest.pipeline import Outcome
from collector.serve.relay import outcome_fields, outcome_from


def test_an_outcome_survives_the_pipe_with_its_retry_after() -> None:
    for outcome in (Outcome("r1", retryable=True, error="No space left on device", retry_after_ms=3500),
                    Outcome("r2", duplicate=True), Outcome("r3", error="bad", need_full_snapshot=True)):
        assert outcome_from(outcome_fields(outcome)) == outcome

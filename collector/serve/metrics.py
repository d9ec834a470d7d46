"""Prometheus metrics of the collector (adapter over prometheus_client, with a registry of its own).

A registry per Collector keeps two collectors in one process (tests, the demo) from sharing or
double-registering series. The HTTP endpoint is optional (`serve --metrics HOST:PORT`);
`render()` gives the same text for tests and for anyone embedding the collector.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server
from prometheus_client.metrics_core import Metric

log = logging.getLogger("netcensus.metrics")

REJECT_REASONS = ("unauthenticated", "bad_enrolment_secret", "revoked", "wrong_source", "invalid", "malformed",
                  "rate_limited", "busy", "not_stored", "enrol_rate_limited", "hijack", "wrong_kind",
                  "enrolment_refused", "inflight_bytes", "peer_connections", "queries", "certificate_mismatch",
                  "retry_later")
# The series a front-end process (`serve --workers`) counts and the writer process adds up.
RELAYED_FAMILIES = frozenset({"netcensus_reports", "netcensus_rows", "netcensus_rejects", "netcensus_enrolments",
                              "netcensus_ack_latency_seconds", "netcensus_connected_agents"})
GAUGE_FAMILIES = frozenset({"netcensus_connected_agents"})  # a value now, not a count: gone with its process

Sample = tuple[str, str, dict[str, str], float]  # (family, sample name, labels, value)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _database_bytes(path: Path) -> float:
    total = 0
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(OSError):
            total += p.stat().st_size
    return float(total)


class Metrics:
    """Every series the collector exports."""

    def __init__(self, db_path: Path, queue_depth: Callable[[], int]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.reports = Counter("netcensus_reports", "Reports answered, by body kind and outcome",
                               ["kind", "outcome"], registry=r)
        self.rows = Counter("netcensus_rows", "Rows (sightings and software items) stored", registry=r)
        self.rejects = Counter("netcensus_rejects", "Calls or reports refused, by reason", ["reason"], registry=r)
        for reason in REJECT_REASONS:
            self.rejects.labels(reason)
        self.enrolments = Counter("netcensus_enrolments", "Node keys issued", ["kind"], registry=r)
        self.ack_latency = Histogram("netcensus_ack_latency_seconds",
                                     "From a report's arrival to its ack (commit included)",
                                     buckets=_LATENCY_BUCKETS, registry=r)
        self.connected = Gauge("netcensus_connected_agents", "Open Report streams", registry=r)
        db = Gauge("netcensus_database_bytes", "Size of the DuckDB file and its WAL", registry=r)
        db.set_function(lambda: _database_bytes(db_path))
        depth = Gauge("netcensus_ingest_queue_depth", "Reports waiting for the writer", registry=r)
        depth.set_function(lambda: float(queue_depth()))
        self._exposed = r
        self._server: Any = None

    def reject(self, reason: str) -> None:
        """Count one refusal."""
        self.rejects.labels(reason).inc()

    def samples(self) -> list[Sample]:
        """This process's per-report series as plain values (a front-end sends them to the writer)."""
        return [(family.name, s.name, dict(s.labels), float(s.value))
                for family in self.registry.collect() if family.name in RELAYED_FAMILIES
                for s in family.samples if not s.name.endswith("_created")]

    def merge(self, remote: Callable[[], Iterable[Sample]]) -> None:
        """Expose our series with the front-end processes' values added to them."""
        exposed = CollectorRegistry(auto_describe=False)
        exposed.register(_Merged(self.registry, remote))
        self._exposed = exposed

    def render(self) -> str:
        """The exposition text, as the endpoint serves it."""
        return generate_latest(self._exposed).decode()

    def serve(self, host: str, port: int) -> int:
        """Start the /metrics HTTP endpoint in a daemon thread; returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self._exposed)
        self._server = server
        return int(server.server_address[1])

    def close(self) -> None:
        """Stop the HTTP endpoint."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Merged:
    """A registry's families with other processes' sample values added (same family, name, labels)."""

    def __init__(self, local: CollectorRegistry, remote: Callable[[], Iterable[Sample]]) -> None:
        self._local = local
        self._remote = remote

    def collect(self) -> Iterator[Metric]:
        extra: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
        for family_name, name, labels, value in self._remote():
            family_extra = extra.setdefault(family_name, {})
            key = (name, tuple(sorted(labels.items())))
            family_extra[key] = family_extra.get(key, 0.0) + value
        for family in self._local.collect():
            add = extra.get(family.name, {})
            merged = Metric(family.name, family.documentation, family.type, family.unit)
            for s in family.samples:
                value = s.value + add.pop((s.name, tuple(sorted(s.labels.items()))), 0.0)
                merged.add_sample(s.name, s.labels, value, s.timestamp, s.exemplar)
            for (name, label_pairs), value in add.items():  # label values only the front-ends have seen
                merged.add_sample(name, dict(label_pairs), value)
            yield merged

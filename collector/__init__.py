"""netcensus collector: gRPC ingest, the DuckDB store, identity resolution, reconciliation, rules, queries.

Layout: cli.py/config.py/errors.py/output.py/logs.py/client.py are the edge, safeyaml.py the one YAML
loader (no aliases, bounded) that register/ and rules/ read through; domain/ holds the frozen
values; wire/ converts protobuf <-> domain; ingest/ is the group commit; inventory/ the pure core
(identity, reconcile) and its refresh use case; register/ and rules/ read what users give us; store/ is
the only DuckDB code; serve/ composes the server; tools/ the demo and certificates. May import only
itself and the generated netcensus.v1 — never the agent.
"""

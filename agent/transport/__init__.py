"""The wire side of the agent: pure encoding to netcensus.v1 (encode.py), snapshot/delta against the
acked baseline (delta.py, baseline.py), the gRPC client and channel, the durable spool and delivery.

May import agent.facts.model, agent.scan.model (values only), agent.errors and the generated stubs.
"""

"""Report -> group commit -> ack: the ingest use case, between the servicers and the store.

Imports `collector.domain`; talks to the store through the `Store` seam passed in. Never grpc or duckdb.
"""

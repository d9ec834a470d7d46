"""protobuf <-> domain: decoding and validation of what arrives, encoding of what is answered.

Pure: imports the generated `netcensus.v1` messages and `collector.domain`; never grpc or duckdb.
"""

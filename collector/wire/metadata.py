"""gRPC metadata keys of the netcensus.v1 services: the collector's servicers and its clients share them.

A module of its own, without imports, so that a client (`netcensus ... --collector HOST:PORT`)
does not load the servicers, and with them the store and the inventory core, to learn a header name.
"""

NODE_KEY_HEADER = "x-netcensus-node-key"
ADMIN_TOKEN_HEADER = "x-netcensus-admin-token"
RETRY_AFTER_HEADER = "retry-after-ms"

"""gRPC metadata keys of the netcensus.v1 services: the collector's servicers and its clients share them.

A module of its own, without imports, so that a client (`netcensus ... --collector HOST:PORT`)
does not load the servicers, and with them the store and the inventory core, to learn a header name.
"""

NODE_KEY_HEADER = "x-netcensus-node-key"
ADMIN_TOKEN_HEADER = "x-netcensus-admin-token"
RETRY_AFTER_HEADER = "retry-after-ms"
# Query and Admin: "authorization: Bearer <API token>" (ADMIN_TOKEN_HEADER is still read, for
# clients of earlier versions that sent the admin token there).
AUTHORIZATION_HEADER = "authorization"
# Set by a front-end process (`serve --workers N`) on calls it passes to the writer over the
# private socket, after dropping any the caller sent: the caller's address and the identity of its
# client certificate ("kind:name", empty without one).
FORWARDED_PEER_HEADER = "x-netcensus-forwarded-peer"
FORWARDED_CERT_HEADER = "x-netcensus-forwarded-cert"

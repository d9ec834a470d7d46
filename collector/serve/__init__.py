"""`netcensus serve`: the composition root, the gRPC servicers, listen/TLS/metrics, and the
front-end/writer processes of `--workers`.

The only collector package that runs a gRPC server; it may import every other collector package.
"""

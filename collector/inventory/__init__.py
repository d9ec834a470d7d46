"""The pure core: identity resolution (sightings -> assets), reconciliation (assets x register ->
findings), and the refresh use case that runs them over what the store hands it.

Imports collector.domain and netaddr (the IEEE OUI registry, oui.py); the store reaches refresh as
an `InventoryStore` Protocol and the rules as a callable, so nothing here imports grpc, duckdb,
pyarrow, the store or the rules (tests/test_architecture.py).
"""

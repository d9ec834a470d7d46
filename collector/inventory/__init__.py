"""The pure core: identity resolution (sightings -> assets), reconciliation (assets x register ->
findings), and the refresh use case that runs them over what the store loaded.

Imports `collector.domain` and the rules seam; never grpc or duckdb (the store hands it values).
"""

"""Frozen values of the collector's core: reports, sightings, software lists, register records.

No I/O and no third-party imports: everything else in the collector may import this package.
"""

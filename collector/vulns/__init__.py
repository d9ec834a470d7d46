"""Vulnerable software from an offline OSV feed: import, schema validation, matching, severity.

OSV records (one JSON advisory per file, directories of them, or the per-ecosystem zip archives
OSV publishes) are validated and imported by :mod:`collector.vulns.importing`; installs are matched
to them ecosystem by ecosystem in that ecosystem's own version order (:mod:`collector.vulns.ranges`
over :mod:`collector.rules.versions`), set-wise in the store (``collector/store/vulns_sql.py``), and
become ``vulnerable-software`` findings in :mod:`collector.vulns.findings`.

Imports: collector.domain, collector.errors, collector.rules.versions and this package; the bridge
(:mod:`collector.vulns.bridge`) also imports collector.inventory's values and collector.store. No
duckdb (the store maps it), no grpc.
"""

"""Vulnerable software from an offline OSV feed: import, schema validation, matching, severity.

One module per job:

* ``feed`` reads files, directories and OSV's zip archives (bounded); ``osv_schema`` validates each
  record (``jsonschema``); ``records`` keeps what matching needs; ``severity`` scores CVSS vectors
  (``cvss``); ``importing`` is the use case (atomic replace of a source); ``schedule`` re-imports a
  directory for the collector;
* ``ecosystems`` says which OSV ecosystem and release an install belongs to; ``ranges`` evaluates OSV
  ranges in that ecosystem's version order (:mod:`collector.rules.versions`); the store matches
  set-wise (``collector/store/vulns_sql.py``) into ``matches``' values;
* ``findings`` turns matches into ``vulnerable-software`` findings (alias groups, accepted risks);
  ``bridge`` adds them to the refresh; ``accept`` records and ends accepted risks (the command line
  and the dashboard both call it); ``commands`` is the ``netcensus vulns`` edge.

Imports: collector.domain, collector.errors, collector.escaping, collector.output, collector.rules
(versions, globs, the exception date rule) and this package; ``findings`` uses collector.inventory's
values; ``bridge`` and ``commands`` (inside functions) also the store. No duckdb (the store maps
it), no grpc.
"""

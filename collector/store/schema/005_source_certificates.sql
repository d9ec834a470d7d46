-- netcensus store, migration 005: the client certificate a source is bound to under mutual TLS.

-- The certificate name (CN) of the source's first enrolment that presented a client certificate;
-- its kind is the source's kind. Later enrolments of the id and every Report stream must present
-- the same name (collector/ingest/binding.py). NULL: enrolled without mutual TLS, not bound yet.
ALTER TABLE sources ADD COLUMN cert_name VARCHAR;

-- netcensus store, migration 010: vulnerabilities from offline OSV feeds (issue #18).
-- Written only by collector/store/vulns_sql.py. An import replaces every row of its source in one
-- transaction; withdrawn advisories are kept (status counts them) and never matched.

CREATE TABLE vuln_sources (
    source          VARCHAR PRIMARY KEY,   -- name given at import (default: the file or directory name)
    path            VARCHAR NOT NULL,      -- what was imported, as given
    imported_at     TIMESTAMPTZ NOT NULL,
    records         INTEGER NOT NULL,      -- advisories stored (withdrawn ones included)
    withdrawn       INTEGER NOT NULL,
    rejected        INTEGER NOT NULL,      -- records or files refused (schema, JSON)
    newest_modified TIMESTAMPTZ
);

CREATE TABLE vuln_advisories (
    source          VARCHAR NOT NULL,
    id              VARCHAR NOT NULL,      -- OSV id (DSA-2896-1, GHSA-..., PYSEC-...)
    modified        TIMESTAMPTZ NOT NULL,
    published       TIMESTAMPTZ,
    withdrawn       TIMESTAMPTZ,
    summary         VARCHAR,
    aliases         VARCHAR[],             -- aliases, and the upstream id of a record with exactly one
    severity        VARCHAR NOT NULL,      -- info | low | medium | high | critical
    score           DOUBLE,                -- CVSS base score when computed from a vector
    severity_basis  VARCHAR,               -- the vector, "database: HIGH", or "not given"
    links           VARCHAR[],
    origin          VARCHAR,               -- file (archive:member) it came from
    covers          VARCHAR[],             -- a notice's several upstream CVEs (multi-CVE DSA, USN), else []
    PRIMARY KEY (source, id)
);

-- One row per affected package of an advisory. ecosystem/release/name are normalised for the join
-- (collector/vulns/ecosystems.py); ranges keep the events in the record's order.
CREATE TABLE vuln_affected (
    source          VARCHAR NOT NULL,
    id              VARCHAR NOT NULL,
    ecosystem       VARCHAR NOT NULL,      -- "Debian", "PyPI", ...
    release         VARCHAR NOT NULL,      -- "12", "3.18", "" where the ecosystem has none
    raw_ecosystem   VARCHAR NOT NULL,      -- as written: "Debian:12"
    name            VARCHAR NOT NULL,
    ranges          JSON,                  -- [{"type": "ECOSYSTEM", "events": [["introduced", "0"], ...]}]
    versions        VARCHAR[]
);

-- Accepted risks: a finding of this advisory (any id or alias of its group) on the assets named is
-- kept but suppressed until the expiry date (inclusive, UTC), like a rule exception.
CREATE SEQUENCE vuln_exception_ids START 1;
CREATE TABLE vuln_exceptions (
    exception_id    INTEGER PRIMARY KEY DEFAULT nextval('vuln_exception_ids'),
    advisory        VARCHAR NOT NULL,      -- an id or alias, e.g. CVE-2014-0160
    package         VARCHAR,               -- package name glob, or NULL for any
    hostname        VARCHAR,               -- hostname glob, or NULL
    asset_id        VARCHAR,               -- exact asset id, or NULL
    reason          VARCHAR NOT NULL,
    until           DATE NOT NULL,
    created_by      VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ
);

-- Documented view (`netcensus sql`): every loaded advisory per affected package.
CREATE VIEW advisories AS
SELECT a.source, a.id, a.aliases, a.severity, a.score, a.severity_basis, a.summary, a.modified, a.published,
       a.withdrawn, f.raw_ecosystem AS ecosystem, f.name AS package, f.ranges, f.versions, a.links
FROM vuln_advisories a JOIN vuln_affected f USING (source, id);

-- netcensus store, migration 011: the findings' history, for `netcensus changes` and the finding
-- timeline of `netcensus asset` (issue #17); and the descriptions `netcensus sql --help` prints.
--
-- The findings table keeps one row per finding: a finding that is resolved and later reopened, or
-- whose suppression comes and goes, has its earlier times overwritten. Every such change is kept
-- here instead, one row per event, written in the same transaction as the findings table
-- (collector/store/inventory.py, persist_findings). Software needs no new history: a removal or a
-- version change closes its software_installs row (removed_at) and a new version opens a new one.
CREATE TABLE finding_events (
    finding_id   VARCHAR NOT NULL,
    happened_at  TIMESTAMPTZ NOT NULL,
    event        VARCHAR NOT NULL,         -- 'opened' | 'reopened' | 'resolved' | 'suppressed' | 'unsuppressed'
    kind         VARCHAR NOT NULL,         -- the finding's kind, severity and asset then
    severity     VARCHAR NOT NULL,
    asset_id     VARCHAR,
    detail       VARCHAR                   -- the suppression ("<reason> (until ...)") or the summary then
);

-- What the findings table already says: each finding's opening, and its resolution if resolved.
INSERT INTO finding_events
SELECT finding_id, opened_at, 'opened', kind, severity, asset_id, summary FROM findings;
INSERT INTO finding_events
SELECT finding_id, opened_at, 'suppressed', kind, severity, asset_id, suppression FROM findings WHERE suppressed;
INSERT INTO finding_events
SELECT finding_id, resolved_at, 'resolved', kind, severity, asset_id, summary FROM findings
WHERE resolved_at IS NOT NULL;

-- The documented relations, described where `netcensus sql --help` reads them (duckdb_views(),
-- duckdb_tables()): the help lists these with their columns, straight from the schema.
COMMENT ON TABLE assets IS 'resolved assets: identifiers seen, vendor, model, type, OS, first/last seen, matched register record';
COMMENT ON VIEW identifiers IS 'every identifier (hostname, fqdn, serial, uuid, mac, local-mac, ip) an asset carried: when and by which source';
COMMENT ON TABLE sightings IS 'one row per observed entity per report; subject names it across reports (agent:<source>, mac:<mac>, ip:<ip>)';
COMMENT ON VIEW software IS 'software installed now, per asset (installed_at from the package database, first_seen by netcensus)';
COMMENT ON VIEW software_history IS 'every install ever seen: first_seen, removed_at (a version change closes one row and opens another)';
COMMENT ON TABLE recorded_assets IS 'the asset register as imported (one row per record; status_class in-use, in-stock, retired, lost)';
COMMENT ON TABLE findings IS 'findings with their lifecycle (opened_at, resolved_at; suppressed by a rule exception)';
COMMENT ON TABLE finding_events IS 'each finding''s history: opened, reopened, resolved, suppressed, unsuppressed, with when';
COMMENT ON TABLE register_imports IS 'register imports: file, format, when, rows added/changed/removed';
COMMENT ON TABLE scan_runs IS 'sweeps that ran: targets, methods, when, complete';
COMMENT ON TABLE reports IS 'every stored report: source, seq, kind, sent and received times, items';
COMMENT ON TABLE manual_decisions IS 'merge/split/apart decisions: who, when, why, undone by and at';
COMMENT ON TABLE asset_members IS 'which subject belongs to which asset, and the key that joined it';
COMMENT ON VIEW advisories IS 'imported OSV advisories, one row per affected package: ids, aliases, severity, ranges, withdrawn (netcensus vulns import)';

-- netcensus store, migration 014: what each agent and scanner last said of its own spool (issue #19).
--
-- Every report may carry its sender's state at send time (report.proto Report.sender_state): the
-- reports still waiting in its spool, their bytes, when the oldest was queued, and its last failure to
-- collect or deliver. One row per source holds the latest of these, written in the transaction that
-- stores the report (re-sent duplicates included: they carry a newer send's state). A source that
-- never sent the field (an older agent) has no row; the dashboard then shows nothing rather than 0.
-- Times are the source's clock except reported_at. last_error is one line of at most 300 characters.
CREATE TABLE source_backlog (
    source_id        VARCHAR PRIMARY KEY,
    reported_at      TIMESTAMPTZ NOT NULL,   -- collector's clock: when the report that said so was stored
    sent_at          TIMESTAMPTZ,            -- source's clock: when it sent that report
    queued_reports   UBIGINT NOT NULL,       -- reports waiting in its spool besides that one
    queued_bytes     UBIGINT NOT NULL,
    oldest_queued_at TIMESTAMPTZ,            -- when the oldest of them was queued; NULL when none waits
    last_error       VARCHAR,                -- its last failure to collect or deliver; NULL when none
    last_error_at    TIMESTAMPTZ
);
COMMENT ON TABLE source_backlog IS 'what each agent and scanner last said of its spool (reports and bytes waiting, oldest queued) and its last error, with when';

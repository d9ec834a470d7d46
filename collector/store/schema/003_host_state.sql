-- netcensus store, migration 003: delta reports, and snapshots that changed nothing cost nothing.

-- The last host report (HostSnapshot or HostDelta) the collector applied per agent subject.
-- A HostDelta is applied only when its base_report_id equals last_host_report_id; otherwise it
-- is refused and the agent is asked for a full snapshot. A snapshot always resets it.
CREATE TABLE host_state (
    subject             VARCHAR PRIMARY KEY,   -- 'agent:<source_id>'
    last_host_report_id VARCHAR NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL   -- collector's clock when that report was committed
);

-- Agents that reported before this migration may go on with deltas on their last stored host
-- report (per source, the highest seq).
INSERT INTO host_state
SELECT 'agent:' || source_id, arg_max(report_id, seq), max(received_at)
FROM reports WHERE kind IN ('host_snapshot', 'host_delta')
GROUP BY source_id;

-- From now on inventory_state.checksum is the collector's own fingerprint of the open
-- software_installs rows of (subject, pkg_source) ("count:sum of row hashes", see
-- collector/store/duckdb.py), kept true whenever those rows change. A snapshot whose list for a
-- complete source has the same fingerprint changes nothing there and skips the row diff. Values
-- written before were the sender's checksum of its whole list: forget them (the next snapshot of
-- each host is diffed in full).
UPDATE inventory_state SET checksum = NULL;

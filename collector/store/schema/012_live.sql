-- netcensus store, migration 012: what the dashboard reads without recomputing (issue #19, live and fast).

-- Findings opened and resolved per UTC day, kind and suppression: the "findings over time" chart
-- without a pass over every finding of the year (0.4 s at 100,000 machines, against a few ms here).
-- Counted in the transaction that writes the findings lifecycle (collector/store/inventory.py), full
-- refresh and live update alike, so a finding resolved and reopened counts each time. Rows before this
-- migration are counted from the findings table: each finding's last open period only (earlier ones
-- were never kept).
CREATE TABLE finding_days (
    day         DATE NOT NULL,         -- UTC day
    kind        VARCHAR NOT NULL,
    suppressed  BOOLEAN NOT NULL,      -- as the finding was when it opened / resolved
    opened      INTEGER NOT NULL,
    resolved    INTEGER NOT NULL,
    PRIMARY KEY (day, kind, suppressed)
);

INSERT INTO finding_days
SELECT day, kind, suppressed, sum(opened)::INTEGER, sum(resolved)::INTEGER FROM (
    SELECT DATE '1970-01-01' + (epoch_us(opened_at) // 86400000000)::INTEGER AS day, kind, suppressed,
           1 AS opened, 0 AS resolved
    FROM findings
    UNION ALL
    SELECT DATE '1970-01-01' + (epoch_us(resolved_at) // 86400000000)::INTEGER, kind, suppressed, 0, 1
    FROM findings WHERE resolved_at IS NOT NULL)
GROUP BY ALL;

-- Each in-use register record with the subnet of its first address (IPv4: its /24; IPv6: NULL here,
-- the reader groups those few by /64 with a real address parser), its site
-- (the register's location) and the asset it matched (NULL: unmatched) with when that was last seen:
-- coverage per subnet and per site is a GROUP BY over it with the ghost window as a parameter
-- (collector/store/live_reads.py, coverage_by_subnet).
CREATE VIEW record_coverage AS
SELECT r.register, r.record_key, r.asset_tag, r.hostname, r.location AS site, r.ips[1] AS ip,
       CASE WHEN regexp_full_match(coalesce(r.ips[1], ''), '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+')
            THEN regexp_replace(r.ips[1], '\.[0-9]+$', '.0/24') END AS subnet,
       a.asset_id, a.last_seen, a.sources
FROM recorded_assets r LEFT JOIN assets a ON a.register = r.register AND a.record_key = r.record_key
WHERE r.status_class = 'in-use';

COMMENT ON TABLE finding_days IS 'findings opened and resolved per UTC day, kind and suppression (the dashboard''s findings over time)';
COMMENT ON VIEW record_coverage IS 'each in-use register record: subnet (IPv4 /24), site, matched asset and when it was last seen';

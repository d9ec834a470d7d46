-- netcensus store, migration 009: the security posture agents report, as columns (issue #17).
-- Written with the assets at every refresh from the asset's freshest agent report (sightings.detail
-- "security" and that report's collector_runs). NULL means unknown: no agent, or the agent's
-- collector for that fact did not run to completion (a failed collector is never "off" or "none").

ALTER TABLE assets ADD COLUMN posture_reported_at TIMESTAMPTZ;       -- the agent report these columns come from
ALTER TABLE assets ADD COLUMN pending_security_updates INTEGER;      -- security updates offered, not installed
ALTER TABLE assets ADD COLUMN oldest_pending_since TIMESTAMPTZ;      -- first report listing the longest-pending one
ALTER TABLE assets ADD COLUMN pending_updates VARCHAR[];             -- 'name installed -> available (suite)'
ALTER TABLE assets ADD COLUMN disk_encrypted BOOLEAN;                -- root file system on an encrypted device
ALTER TABLE assets ADD COLUMN firewall_active BOOLEAN;               -- a host firewall has rules loaded now
ALTER TABLE assets ADD COLUMN firewalls VARCHAR[];                   -- 'nftables (active, enabled, 12 rules)'
ALTER TABLE assets ADD COLUMN endpoint_protection VARCHAR[];         -- products found ('CrowdStrike Falcon (running)')
ALTER TABLE assets ADD COLUMN listening VARCHAR[];                   -- 'tcp 0.0.0.0:22 (sshd)', every socket

-- When each finding first came up in queries with another ghost window than the collector's own
-- (`findings --ghost-after 0` over a collector that keeps 14d): not the findings lifecycle, which
-- follows the collector's window, but their opened_at must not move between two runs of one query.
-- A finding that stops coming up under a window is dropped here and opens anew if it comes back.
CREATE TABLE findings_windowed (
    ghost_after_s   BIGINT NOT NULL,      -- the query's window in seconds
    finding_id      VARCHAR NOT NULL,
    opened_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ghost_after_s, finding_id)
);

-- Since when each security update still pending on an agent's machine has been reported pending
-- (for the version installed then): kept up to date at every refresh from the newest reports, so
-- that older reports are read only for updates seen for the first time (collector/store/posture.py).
CREATE TABLE pending_update_since (
    subject         VARCHAR NOT NULL,     -- 'agent:<source_id>'
    update_key      VARCHAR NOT NULL,     -- '<package> <installed version>'
    since           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subject, update_key)
);

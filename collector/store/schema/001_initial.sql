-- netcensus store, migration 001: sources, reports, sightings, software, register, findings.
-- Times are TIMESTAMPTZ (UTC). Lists are DuckDB LIST columns. Every table here is written only
-- by collector/store/duckdb.py; users read the documented views (002_views.sql).

CREATE TABLE sources (
    source_id       VARCHAR PRIMARY KEY,   -- enrolled agent or scanner
    kind            VARCHAR NOT NULL,      -- 'agent' | 'scanner'
    hostname        VARCHAR,
    key_hash        VARCHAR,               -- SHA-256 of the node key; the key itself is never stored
    enrolled_at     TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    last_report_at  TIMESTAMPTZ,
    last_seq        UBIGINT
);

-- One row per stored report: the idempotency ledger. A report_id is stored at most once.
CREATE TABLE reports (
    report_id       VARCHAR PRIMARY KEY,
    source_id       VARCHAR NOT NULL,
    seq             UBIGINT NOT NULL,
    kind            VARCHAR NOT NULL,      -- 'host_snapshot' | 'host_delta' | 'scan' | 'heartbeat'
    created_at      TIMESTAMPTZ,           -- sender's clock
    received_at     TIMESTAMPTZ NOT NULL,  -- collector's clock, when committed
    items           INTEGER NOT NULL       -- sightings + software rows carried
);

-- One row per observed entity per report. `subject` names the observed thing across reports:
-- 'agent:<source_id>' for an agent's own host, 'mac:<mac>' or 'ip:<ip>' for network sightings.
CREATE TABLE sightings (
    report_id       VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    method          VARCHAR NOT NULL,      -- 'agent' | 'arp' | 'nmap' | 'snmp' | 'snmp-arp-cache' | ...
    seen_at         TIMESTAMPTZ NOT NULL,
    subject         VARCHAR NOT NULL,
    hostname        VARCHAR,
    fqdn            VARCHAR,
    ips             VARCHAR[],
    macs            VARCHAR[],             -- universally administered MACs only (identity-grade)
    local_macs      VARCHAR[],             -- locally administered MACs: recorded, never identity
    networks        VARCHAR[],             -- CIDRs of the host's interfaces (agent coverage)
    serial          VARCHAR,
    system_uuid     VARCHAR,
    vendor          VARCHAR,
    model           VARCHAR,
    device_type     VARCHAR,
    os              VARCHAR,
    os_family       VARCHAR,
    seen_via_ip     VARCHAR,
    seen_via_name   VARCHAR,
    seen_via_port   VARCHAR,
    vlan            INTEGER,
    detail          JSON                   -- everything else the report said (cpu, disks, snmp, ports)
);

-- Installed software with history: a row is one install of one version on one subject.
-- removed_at stays NULL while the item is present; a version change closes the old row and
-- opens a new one. Only collectors that reported OK may close rows (a failed collector is not
-- "software removed").
CREATE TABLE software_installs (
    subject         VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    version         VARCHAR NOT NULL,
    arch            VARCHAR NOT NULL,
    pkg_source      VARCHAR NOT NULL,      -- 'deb' | 'rpm' | 'pip' | ... | 'snmp'
    vendor          VARCHAR,
    source_package  VARCHAR,
    purl            VARCHAR,
    installed_at    TIMESTAMPTZ,
    first_seen      TIMESTAMPTZ NOT NULL,
    removed_at      TIMESTAMPTZ,
    first_report_id VARCHAR NOT NULL,
    removed_report_id VARCHAR
);

-- Last complete collection per subject and package source; gives current rows their last_seen
-- without rewriting every row on every report.
CREATE TABLE inventory_state (
    subject         VARCHAR NOT NULL,
    pkg_source      VARCHAR NOT NULL,
    last_ok_at      TIMESTAMPTZ NOT NULL,
    last_report_id  VARCHAR NOT NULL,
    checksum        VARCHAR,
    PRIMARY KEY (subject, pkg_source)
);

-- Per-report collector outcomes (completeness).
CREATE TABLE collector_runs (
    report_id       VARCHAR NOT NULL,
    subject         VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    state           VARCHAR NOT NULL,      -- 'ok' | 'failed' | 'timed_out' | 'skipped'
    duration_ms     INTEGER,
    items           INTEGER,
    reason          VARCHAR
);

-- Sweeps that ran: coverage for ghost detection.
CREATE TABLE scan_runs (
    report_id       VARCHAR NOT NULL,
    scan_id         VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    targets         VARCHAR[] NOT NULL,
    methods         VARCHAR[] NOT NULL,
    started_at      TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ NOT NULL,
    complete        BOOLEAN NOT NULL
);

CREATE TABLE scan_target_status (
    report_id       VARCHAR NOT NULL,
    scan_id         VARCHAR NOT NULL,
    target          VARCHAR NOT NULL,
    method          VARCHAR NOT NULL,
    ok              BOOLEAN NOT NULL,
    reason          VARCHAR,
    duration_ms     INTEGER
);

-- Register imports and the recorded inventory. Each import replaces the records of its register
-- (default: the format name) atomically.
CREATE TABLE register_imports (
    import_id       VARCHAR PRIMARY KEY,
    register        VARCHAR NOT NULL,
    filename        VARCHAR NOT NULL,
    format          VARCHAR NOT NULL,
    sha256          VARCHAR NOT NULL,
    imported_at     TIMESTAMPTZ NOT NULL,
    rows            INTEGER NOT NULL,
    added           INTEGER NOT NULL,
    changed         INTEGER NOT NULL,
    unchanged       INTEGER NOT NULL,
    removed         INTEGER NOT NULL
);

CREATE TABLE recorded_assets (
    register        VARCHAR NOT NULL,
    record_key      VARCHAR NOT NULL,
    line            INTEGER NOT NULL,
    asset_tag       VARCHAR,
    name            VARCHAR,
    serial          VARCHAR,
    hostname        VARCHAR,
    macs            VARCHAR[],
    ips             VARCHAR[],
    model           VARCHAR,
    manufacturer    VARCHAR,
    category        VARCHAR,
    status          VARCHAR,
    status_class    VARCHAR NOT NULL,      -- 'in-use' | 'in-stock' | 'retired' | 'lost'
    assigned_to     VARCHAR,
    location        VARCHAR,
    purchase_date   DATE,
    extra           JSON,
    import_id       VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,      -- detects changed rows on re-import
    first_imported_at TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (register, record_key)
);

-- Resolved assets, rewritten by every reconciliation (identity.py decides them).
CREATE TABLE assets (
    asset_id        VARCHAR PRIMARY KEY,
    hostnames       VARCHAR[],
    ips             VARCHAR[],
    macs            VARCHAR[],
    vendor          VARCHAR,
    serial          VARCHAR,
    system_uuid     VARCHAR,
    model           VARCHAR,
    device_type     VARCHAR,
    os              VARCHAR,
    os_family       VARCHAR,
    first_seen      TIMESTAMPTZ,
    last_seen       TIMESTAMPTZ,
    sources         VARCHAR[],
    register        VARCHAR,
    record_key      VARCHAR,
    matched_by      VARCHAR,
    has_software_inventory BOOLEAN
);

-- Which subject belongs to which asset, and the key that joined it.
CREATE TABLE asset_members (
    subject         VARCHAR PRIMARY KEY,
    asset_id        VARCHAR NOT NULL,
    matched_by      VARCHAR NOT NULL       -- 'anchor' | 'serial' | 'uuid' | 'mac' | 'hostname'
);

-- Findings with a lifecycle: opened_at when first raised, resolved_at when no longer true.
CREATE TABLE findings (
    finding_id      VARCHAR PRIMARY KEY,
    kind            VARCHAR NOT NULL,
    severity        VARCHAR NOT NULL,
    asset_id        VARCHAR,
    register        VARCHAR,
    record_key      VARCHAR,
    hostname        VARCHAR,
    ip              VARCHAR,
    mac             VARCHAR,
    serial          VARCHAR,
    asset_tag       VARCHAR,
    status          VARCHAR,
    status_class    VARCHAR,
    rule_id         VARCHAR,
    software_name   VARCHAR,
    software_version VARCHAR,
    first_seen      TIMESTAMPTZ,
    last_seen       TIMESTAMPTZ,
    evidence        JSON,
    summary         VARCHAR NOT NULL,
    suppressed      BOOLEAN NOT NULL,
    suppression     VARCHAR,
    opened_at       TIMESTAMPTZ NOT NULL,
    resolved_at     TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- Collector settings that must survive restarts (e.g. the enrolment secret's hash).
CREATE TABLE settings (
    key             VARCHAR PRIMARY KEY,
    value           VARCHAR NOT NULL
);

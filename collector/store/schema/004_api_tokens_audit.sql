-- netcensus store, migration 004: named API tokens for Query/Admin, and the audit log.

-- One row per token ever created. The token itself is never stored: only its SHA-256 (tokens are
-- 256-bit random strings, so a plain hash cannot be reversed by guessing). A revoked token keeps
-- its row, so `tokens list` and the audit log still say whose it was; a name is never reused.
CREATE TABLE api_tokens (
    name         VARCHAR PRIMARY KEY,      -- a person or an integration, e.g. 'alice', 'siem-export'
    role         VARCHAR NOT NULL,         -- 'reader' | 'admin'
    token_hash   VARCHAR NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

-- Who read, imported, revoked or changed what, when, from where, and the outcome: one row per
-- Query/Admin call (refused ones included) and per token change made offline. Never a secret.
CREATE TABLE audit_log (
    happened_at TIMESTAMPTZ NOT NULL,
    who     VARCHAR NOT NULL,              -- token name, 'source:<id>' for a node key, '-' for none
    role    VARCHAR,                       -- the credential's role, when it had one
    action  VARCHAR NOT NULL,              -- RPC or command, e.g. 'ListAssets', 'tokens create'
    target  VARCHAR,                       -- what it acted on (source id, token name, file, row count)
    peer    VARCHAR,                       -- caller address (and certificate identity under mutual TLS)
    outcome VARCHAR NOT NULL               -- 'ok' or the status the caller got, with the reason
);

-- netcensus store, migration 013: people who may log in to the web dashboard (issue #19).
--
-- One row per user ever created. The password itself is never stored: only its scrypt hash
-- ("scrypt$n$r$p$salt$hash", collector/web/passwords.py), slow on purpose since people choose
-- passwords. A disabled user keeps the row, so the audit log still says who it was.
CREATE TABLE web_users (
    name          VARCHAR PRIMARY KEY,     -- as in the audit log, e.g. 'alice'
    role          VARCHAR NOT NULL,        -- 'reader' | 'admin'
    password_hash VARCHAR NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ
);
COMMENT ON TABLE web_users IS 'dashboard users: name, role (reader, admin), created and disabled times (never a password)';

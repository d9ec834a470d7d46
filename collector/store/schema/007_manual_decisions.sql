-- netcensus store, migration 007: manual merge/split decisions on assets (issue #15).

-- A person's decision that two assets are one device (merge) or that one subject is not part of
-- the asset it was resolved into (split). Decisions name subjects, not asset ids (an asset id is
-- derived from its earliest subject and may change), so they survive refreshes, restarts and
-- register re-imports; identity resolution applies them on every refresh
-- (collector/inventory/decisions.py). An undone decision keeps its row (who undid it, when, why).
CREATE SEQUENCE manual_decision_ids START 1;
CREATE TABLE manual_decisions (
    decision_id  INTEGER PRIMARY KEY DEFAULT nextval('manual_decision_ids'),
    action       VARCHAR NOT NULL,         -- 'merge' | 'split' | 'apart' (two assets are two devices)
    subject      VARCHAR NOT NULL,         -- merge, apart: a subject of the first asset; split: the subject taken out
    others       VARCHAR[] NOT NULL,       -- merge: a subject of the second asset; split: the asset's other
                                           -- subjects then; apart: the second asset's subjects then
    asset_ids    VARCHAR[] NOT NULL,       -- the asset ids the person named, as they were then
    reason       VARCHAR NOT NULL,
    decided_by   VARCHAR NOT NULL,         -- token name, or 'local:<account>' for --db
    decided_at   TIMESTAMPTZ NOT NULL,
    undone_by    VARCHAR,
    undone_at    TIMESTAMPTZ
);

CREATE TABLE schedules (
    id          TEXT PRIMARY KEY,
    entry_id    TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    type_key    TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('publish', 'unpublish')),
    revision_id TEXT,
    run_at      TIMESTAMP NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    created_by  TEXT,
    created_at  TIMESTAMP NOT NULL,
    done_at     TIMESTAMP,
    error       TEXT
);
--bun:split
CREATE UNIQUE INDEX schedules_pending ON schedules (entry_id, action) WHERE status = 'pending';
--bun:split
CREATE INDEX schedules_due ON schedules (status, run_at);

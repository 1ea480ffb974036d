CREATE TABLE workflows (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE workflow_tasks (
    id          TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    sort_order  INTEGER NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    config      JSONB,
    UNIQUE (workflow_id, sort_order)
);
--bun:split
CREATE TABLE workflow_assignments (
    id               TEXT PRIMARY KEY,
    workflow_id      TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    type_key         TEXT,
    page_id          TEXT REFERENCES entries (id) ON DELETE CASCADE,
    require_approval BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((type_key IS NULL) <> (page_id IS NULL))
);
--bun:split
CREATE UNIQUE INDEX workflow_assignments_type ON workflow_assignments (type_key) WHERE type_key IS NOT NULL;
--bun:split
CREATE UNIQUE INDEX workflow_assignments_page ON workflow_assignments (page_id) WHERE page_id IS NOT NULL;
--bun:split
CREATE TABLE workflow_states (
    id              TEXT PRIMARY KEY,
    entry_id        TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    workflow_id     TEXT NOT NULL REFERENCES workflows (id),
    status          TEXT NOT NULL,
    revision_id     TEXT NOT NULL,
    current_task_id TEXT,
    requested_by    TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE UNIQUE INDEX workflow_states_open ON workflow_states (entry_id) WHERE status IN ('in_progress', 'needs_changes');
--bun:split
CREATE INDEX workflow_states_entry ON workflow_states (entry_id, created_at);
--bun:split
CREATE TABLE task_states (
    id                TEXT PRIMARY KEY,
    workflow_state_id TEXT NOT NULL REFERENCES workflow_states (id) ON DELETE CASCADE,
    task_id           TEXT NOT NULL REFERENCES workflow_tasks (id),
    revision_id       TEXT NOT NULL,
    status            TEXT NOT NULL,
    comment           TEXT NOT NULL DEFAULT '',
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    finished_by       TEXT
);
--bun:split
CREATE INDEX task_states_state ON task_states (workflow_state_id, started_at);
--bun:split
INSERT INTO role_grants (role, action, type_key) VALUES ('editor', 'entries.review', '*');

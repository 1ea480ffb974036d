CREATE TABLE content_types (
    key         TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    definition  TEXT NOT NULL CHECK (json_valid(definition)),
    schema_hash TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    source      TEXT NOT NULL DEFAULT 'builtin',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL COLLATE NOCASE UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    role         TEXT NOT NULL,
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
--bun:split
CREATE TABLE role_grants (
    role     TEXT NOT NULL,
    action   TEXT NOT NULL,
    type_key TEXT NOT NULL DEFAULT '*',
    PRIMARY KEY (role, action, type_key)
);
--bun:split
INSERT INTO role_grants (role, action, type_key) VALUES
    ('editor', 'entries.read', '*'),
    ('editor', 'entries.create', '*'),
    ('editor', 'entries.update', '*'),
    ('editor', 'entries.delete', '*'),
    ('editor', 'entries.publish', '*'),
    ('editor', 'entries.move', '*'),
    ('editor', 'types.read', '*'),
    ('reviewer', 'entries.read', '*'),
    ('reviewer', 'entries.review', '*'),
    ('reviewer', 'types.read', '*');
--bun:split
CREATE TABLE entries (
    id                      TEXT PRIMARY KEY,
    type_key                TEXT NOT NULL REFERENCES content_types (key),
    title                   TEXT NOT NULL,
    draft_title             TEXT NOT NULL,
    slug                    TEXT NOT NULL,
    slug_scope              TEXT NOT NULL,
    parent_id               TEXT REFERENCES entries (id),
    path                    TEXT NOT NULL DEFAULT '',
    depth                   INTEGER NOT NULL DEFAULT 0,
    url_path                TEXT,
    sort_order              INTEGER NOT NULL DEFAULT 0,
    fields                  TEXT CHECK (fields IS NULL OR json_valid(fields)),
    rendered                TEXT CHECK (rendered IS NULL OR json_valid(rendered)),
    live                    BOOLEAN NOT NULL DEFAULT FALSE,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT TRUE,
    latest_revision_id      TEXT,
    live_revision_id        TEXT,
    first_published_at      TIMESTAMP,
    last_published_at       TIMESTAMP,
    go_live_at              TIMESTAMP,
    expire_at               TIMESTAMP,
    expired                 BOOLEAN NOT NULL DEFAULT FALSE,
    locked                  BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at               TIMESTAMP,
    locked_by               TEXT,
    owner_id                TEXT,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    UNIQUE (slug_scope, slug)
);
--bun:split
CREATE INDEX entries_delivery ON entries (type_key, live, first_published_at, id);
--bun:split
CREATE INDEX entries_type_updated ON entries (type_key, updated_at, id);
--bun:split
CREATE INDEX entries_parent ON entries (parent_id, sort_order);
--bun:split
CREATE INDEX entries_path ON entries (path);
--bun:split
CREATE TABLE revisions (
    id          TEXT PRIMARY KEY,
    entry_id    TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    type_key    TEXT NOT NULL,
    number      INTEGER NOT NULL,
    title       TEXT NOT NULL,
    slug        TEXT NOT NULL,
    fields      TEXT NOT NULL CHECK (json_valid(fields)),
    schema_hash TEXT NOT NULL,
    author_id   TEXT,
    author_kind TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (entry_id, number)
);
--bun:split
CREATE TABLE entry_index (
    entry_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    type_key TEXT NOT NULL,
    field    TEXT NOT NULL,
    v_text   TEXT,
    v_num    REAL
);
--bun:split
CREATE INDEX entry_index_text ON entry_index (type_key, field, v_text, entry_id);
--bun:split
CREATE INDEX entry_index_num ON entry_index (type_key, field, v_num, entry_id);
--bun:split
CREATE INDEX entry_index_entry ON entry_index (entry_id);
--bun:split
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    entry_id    TEXT,
    type_key    TEXT,
    action      TEXT NOT NULL,
    actor_id    TEXT,
    actor_kind  TEXT NOT NULL,
    revision_id TEXT,
    data        TEXT CHECK (data IS NULL OR json_valid(data)),
    created_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX audit_log_entry ON audit_log (entry_id, created_at);
--bun:split
CREATE INDEX audit_log_created ON audit_log (created_at, id);

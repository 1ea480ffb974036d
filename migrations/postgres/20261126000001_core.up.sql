CREATE TABLE content_types (
    key         TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    definition  JSONB NOT NULL,
    schema_hash TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    source      TEXT NOT NULL DEFAULT 'builtin',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    role         TEXT NOT NULL,
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
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
    fields                  JSONB,
    rendered                TEXT, -- the delivery document, served byte for byte (jsonb would re-space it)
    live                    BOOLEAN NOT NULL DEFAULT FALSE,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT TRUE,
    latest_revision_id      TEXT,
    live_revision_id        TEXT,
    first_published_at      TIMESTAMPTZ,
    last_published_at       TIMESTAMPTZ,
    go_live_at              TIMESTAMPTZ,
    expire_at               TIMESTAMPTZ,
    expired                 BOOLEAN NOT NULL DEFAULT FALSE,
    locked                  BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at               TIMESTAMPTZ,
    locked_by               TEXT,
    owner_id                TEXT,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
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
    fields      JSONB NOT NULL,
    schema_hash TEXT NOT NULL,
    author_id   TEXT,
    author_kind TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (entry_id, number)
);
--bun:split
CREATE TABLE entry_index (
    entry_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    type_key TEXT NOT NULL,
    field    TEXT NOT NULL,
    v_text   TEXT,
    v_num    DOUBLE PRECISION
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
    data        JSONB,
    created_at  TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX audit_log_entry ON audit_log (entry_id, created_at);
--bun:split
CREATE INDEX audit_log_created ON audit_log (created_at, id);
--bun:split
CREATE UNIQUE INDEX users_email ON users (lower(email));

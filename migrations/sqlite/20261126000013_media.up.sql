-- Media assets. The key is content-addressed (sha256 of the bytes, plus an
-- extension), so a key never changes meaning and the same bytes are stored
-- once.
CREATE TABLE media (
    key          TEXT PRIMARY KEY,
    sha256       TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    focal_x      REAL,
    focal_y      REAL,
    title        TEXT NOT NULL DEFAULT '',
    alt          TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX media_recent ON media (created_at, key);
--bun:split
-- Media generated for an entry (narration, say): not revisioned, one per
-- role.
CREATE TABLE entry_media (
    entry_id    TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    media_key   TEXT NOT NULL REFERENCES media (key),
    source_hash TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (entry_id, role)
);
--bun:split
-- Image renditions, generated once per (source, spec).
CREATE TABLE media_renditions (
    source_key TEXT NOT NULL REFERENCES media (key),
    spec       TEXT NOT NULL,
    key        TEXT NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source_key, spec)
);
--bun:split
INSERT INTO role_grants (role, action, type_key) VALUES
    ('editor', 'media.read', '*'),
    ('editor', 'media.write', '*'),
    ('reviewer', 'media.read', '*');

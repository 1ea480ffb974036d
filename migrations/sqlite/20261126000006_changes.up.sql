CREATE TABLE entry_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id   TEXT NOT NULL,
    type_key   TEXT NOT NULL,
    op         TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX entry_changes_type ON entry_changes (type_key, seq);

CREATE TABLE entry_search (
    entry_id TEXT PRIMARY KEY REFERENCES entries (id) ON DELETE CASCADE,
    type_key TEXT NOT NULL,
    doc      TSVECTOR NOT NULL
);
--bun:split
CREATE INDEX entry_search_doc ON entry_search USING GIN (doc);
--bun:split
CREATE INDEX entry_search_type ON entry_search (type_key);

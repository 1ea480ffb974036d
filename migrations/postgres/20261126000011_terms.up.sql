-- Taxonomy (tags) fields of live entries as arrays, GIN-indexed, for the
-- related-content ranker's overlap query (&&).
CREATE TABLE entry_terms (
    entry_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    type_key TEXT NOT NULL,
    field    TEXT NOT NULL,
    terms    TEXT[] NOT NULL,
    PRIMARY KEY (entry_id, field)
);
--bun:split
CREATE INDEX entry_terms_gin ON entry_terms USING GIN (terms);

CREATE VIRTUAL TABLE entry_search USING fts5(
    entry_id UNINDEXED,
    type_key UNINDEXED,
    title,
    body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
--bun:split
-- FTS5 rows are found by rowid only; this maps entries to their search
-- document's rowid, so replacing a document is an indexed lookup, not a
-- scan of the whole index.
CREATE TABLE entry_search_docs (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL UNIQUE
);

-- The SQLite ranker counts shared terms in entry_index; this index serves
-- reading an entry's own terms and the per-entry filters.
CREATE INDEX entry_index_entry_field ON entry_index (entry_id, field, v_text);

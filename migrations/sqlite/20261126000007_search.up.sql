CREATE VIRTUAL TABLE entry_search USING fts5(
    entry_id UNINDEXED,
    type_key UNINDEXED,
    title,
    body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

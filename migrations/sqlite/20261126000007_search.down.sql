DROP TABLE entry_search_docs;
--bun:split
DROP TABLE entry_search;

DROP TABLE entry_search;

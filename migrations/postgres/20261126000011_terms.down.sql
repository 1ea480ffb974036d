DROP TABLE entry_terms;

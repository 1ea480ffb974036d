DROP TABLE entry_changes;

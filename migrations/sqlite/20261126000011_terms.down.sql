DROP INDEX entry_index_entry_field;

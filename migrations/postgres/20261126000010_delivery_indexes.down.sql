DROP INDEX entries_type_slug;

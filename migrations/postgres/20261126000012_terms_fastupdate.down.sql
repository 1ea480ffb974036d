ALTER INDEX entry_terms_gin RESET (fastupdate);

DROP TABLE audit_log;
--bun:split
DROP TABLE entry_index;
--bun:split
DROP TABLE revisions;
--bun:split
DROP TABLE entries;
--bun:split
DROP TABLE role_grants;
--bun:split
DROP TABLE api_tokens;
--bun:split
DROP TABLE users;
--bun:split
DROP TABLE content_types;

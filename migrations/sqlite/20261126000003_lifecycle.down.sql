ALTER TABLE entries DROP COLUMN lock_expires_at;
--bun:split
ALTER TABLE revisions DROP COLUMN updated_at;
--bun:split
ALTER TABLE revisions DROP COLUMN autosave;

ALTER TABLE revisions ADD COLUMN autosave BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE revisions ADD COLUMN updated_at TIMESTAMP;
--bun:split
ALTER TABLE entries ADD COLUMN lock_expires_at TIMESTAMP;

CREATE TABLE cache_invalidations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tags       TEXT NOT NULL CHECK (json_valid(tags)),
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX cache_invalidations_created ON cache_invalidations (created_at);

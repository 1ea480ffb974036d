-- The plugin catalog (engine/pluginhost): one row per built-in or external
-- plugin. External plugins are pinned by the sha256 of their executable at
-- the moment an admin enabled them. Secrets are never stored here: they come
-- from INKLING_PLUGIN_<NAME>_<KEY> environment variables. metadata is the
-- plugin's last good GetMetadata answer (protojson): its hook bindings stay
-- in force while it is down, so saves fail instead of skipping its checks.
CREATE TABLE plugins (
    name             TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('builtin', 'external')),
    path             TEXT NOT NULL DEFAULT '',
    sha256           TEXT NOT NULL DEFAULT '',
    enabled          BOOLEAN NOT NULL DEFAULT FALSE,
    version          TEXT NOT NULL DEFAULT '',
    protocol_version INTEGER NOT NULL DEFAULT 0,
    content_types    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(content_types)),
    status           TEXT NOT NULL DEFAULT 'disabled',
    last_error       TEXT NOT NULL DEFAULT '',
    settings         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    requested_scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(requested_scopes)),
    granted_scopes   TEXT CHECK (granted_scopes IS NULL OR json_valid(granted_scopes)),
    revoked_scopes   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(revoked_scopes)),
    metadata         TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    enabled_at       TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

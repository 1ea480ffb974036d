-- txid orders changes by transaction, so a reader never passes a change
-- whose transaction commits later (see engine/delivery/changes.go).
CREATE TABLE entry_changes (
    seq        BIGSERIAL PRIMARY KEY,
    txid       XID8 NOT NULL DEFAULT pg_current_xact_id(),
    entry_id   TEXT NOT NULL,
    type_key   TEXT NOT NULL,
    op         TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX entry_changes_order ON entry_changes (txid, seq);

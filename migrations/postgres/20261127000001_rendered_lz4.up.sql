-- Delivery reads entries.rendered on every uncached request: a related list
-- reads 20 documents. A passage's row (draft fields and rendered document,
-- about 3 KB) is over PostgreSQL's 2 KB toast threshold, so the document is
-- stored compressed, by default with pglz, whose decompression was a quarter
-- of PostgreSQL's CPU under uncached related lists (perf, 20,000 passages).
-- LZ4 decompresses several times faster for a similar size: PostgreSQL's
-- CPU per request fell from 209 to about 150 µs. It needs PostgreSQL 14
-- built with lz4 (Debian's, Ubuntu's, the official images and the managed
-- services are); elsewhere this only raises a notice. Documents already
-- stored stay pglz until rewritten: republishing rewrites one, and
-- operations.md gives the statement that rewrites them all.
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 140000 THEN
    BEGIN
      EXECUTE 'ALTER TABLE entries ALTER COLUMN rendered SET COMPRESSION lz4';
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'entries.rendered stays pglz-compressed: %', SQLERRM;
    END;
  END IF;
END $$;

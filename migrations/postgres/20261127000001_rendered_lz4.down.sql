DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 140000 THEN
    EXECUTE 'ALTER TABLE entries ALTER COLUMN rendered SET COMPRESSION default';
  END IF;
END $$;

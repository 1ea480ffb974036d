DELETE FROM role_grants WHERE action IN ('media.read', 'media.write');
--bun:split
DROP TABLE media_renditions;
--bun:split
DROP TABLE entry_media;
--bun:split
DROP TABLE media;

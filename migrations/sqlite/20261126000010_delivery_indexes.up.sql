-- Delivery looks entries up by slug within a type (pages share slugs
-- across parents, so the unique (slug_scope, slug) index does not serve it).
CREATE INDEX entries_type_slug ON entries (type_key, slug);

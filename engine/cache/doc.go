// Package cache is the delivery response cache: get-or-fill of opaque byte
// values under string keys, each value tagged with the entries it contains,
// and invalidation by tag on every instance.
//
// Two backends sit behind one Cache type:
//
//   - memory (the embedded default): maypok86/otter/v2, bounded in bytes, with
//     a per-entry TTL and a tag → keys index that follows otter's deletions
//     (eviction, expiry, replacement), so it never outgrows the cache;
//   - Redis (Config.RedisURL, INKLING_REDIS_URL): redis/rueidis with
//     client-side caching. Values live in Redis; hot keys are served from
//     process memory and dropped by Redis' key tracking when they change or
//     are deleted, on every instance. Tags are sorted sets of value keys,
//     scored by expiry and trimmed at every store. A key re-stored with
//     other tags stays in its old tags' sets until it expires there, so
//     invalidating an old tag may drop it (harmless over-invalidation). All
//     keys share the hash tag of Config.KeyPrefix, so the Lua scripts also
//     run on Redis Cluster (on one slot).
//
// Concurrent misses of one key run the fill once (singleflight). A fill that
// races an invalidation of one of its tags is returned but not stored, so a
// value read from the database before a publish committed cannot outlive the
// invalidation that followed the commit (see Fetch and the Redis backend).
//
// Redis being down never fails a read: Fetch runs the fill and returns its
// value, logs a warning at most every Config.WarnEvery, and a background
// probe restores caching when Redis answers again (no restart needed).
// Invalidations that fail while Redis is down are queued and applied before
// caching resumes.
//
// Cross-instance invalidation that survives crashes goes through the
// database: the publish, unpublish, move or delete transaction calls RecordTx,
// which writes a row of cache_invalidations in the same transaction; every
// serve process runs a Relay that tails that table and invalidates its Cache.
package cache

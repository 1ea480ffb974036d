// Package substack is the Substack plugin: it syncs the posts of a Substack
// publication, read from its RSS feed, into the cslewis plugin's article
// entries, and publishes them.
//
// The job "sync" runs every 15 minutes (and the global admin action
// "sync_now" on demand). It fetches the feed of the setting feed_url with
// a timeout, a User-Agent and (for the job) a conditional GET, parses it
// with gofeed, and upserts one article per item, keyed by the item's guid
// (the article field guid): a new guid creates and publishes an article,
// a changed item saves and publishes a new revision, and an unchanged one
// is left alone (no new revision). Post HTML is sanitised with a strict
// bluemonday policy and stored as markdown, since the article body is
// richtext. A failing item is listed with its guid and the others go on.
// A feed request that meets a 429, 408, 5xx, connection error or timeout
// is retried (settings request_retries and retry_backoff, honouring
// Retry-After, never past the run's deadline); a feed that still fails, or
// cannot be parsed, fails the sync, which the host retries; a 4xx such as
// 404 or 410 fails it as sdk.Permanent (not retried).
//
// Operator documentation: docs/integrations.md. A fake feed for
// tests is in the substackfake sub-package.
package substack

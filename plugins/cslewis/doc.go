// Package cslewis is the first customer's plugin: the content model of a
// C.S. Lewis reading app (Work, Passage, DailyDrop, Article) and its rules.
// It is a first-party plugin: compiled into the inkling binary, run out of
// process as `inkling plugin run cslewis`, and written against plugins/sdk
// only — the engine knows nothing of passages.
//
// Its mobile endpoints are /today, /passages/{id}/related (ranked by the
// engine through Host.Related) and /works/{id}, with audio gated by the
// work's rights in every response; `inkling seed demo` and `seed bench`
// load its data. docs/cslewis.md is the app developers' guide.
package cslewis

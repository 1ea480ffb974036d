// Package cslewis is the first customer's plugin: the content model of a
// C.S. Lewis reading app (Work, Passage, DailyDrop, Article) and its rules.
// It is a first-party plugin: compiled into the inkling binary, run out of
// process as `inkling plugin run cslewis`, and written against plugins/sdk
// only — the engine knows nothing of passages.
//
// Still to come (see the C.S. Lewis issue): the related-passages ranker,
// the mobile endpoints (/today, /passages/{id}/related, /works/{id}), audio
// gating in responses, and the demo and benchmark seeds.
package cslewis

// Package entries is the write side of content: creating entries, saving
// drafts as immutable revisions, publishing and unpublishing revisions, and
// moving pages in the tree. Every exported method is one lifecycle action:
// it checks permissions, validates, and commits its changes together with an
// audit record in one transaction.
//
// The live values of a published entry are copied to entries.fields (input
// shape) and entries.rendered (delivery shape: rich text rendered to
// sanitised HTML), and its indexed fields are projected into entry_index, so
// the delivery side (engine/delivery) reads one row per entry and filters on
// indexes.
package entries

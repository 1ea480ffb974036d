// Package delivery is the read side of published content, used by the
// public API (/api/v1). It only ever reads live entries: the rendered
// delivery document in entries.rendered, filtered and sorted through the
// entry_index projection, paginated with keyset cursors.
package delivery

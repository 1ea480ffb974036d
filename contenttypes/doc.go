// Package contenttypes is Inkling's content-model vocabulary, shared by the
// engine and by plugins: field kinds, content type definitions, and the pure
// functions that operate on entry values of a content type.
//
// The package does no I/O and holds no global mutable state. Its parts are:
//
//   - Definitions: [ContentType] and [Field] (recursive: a top-level field and
//     a StreamField block share the type), checked by [ContentType.Validate].
//   - Preparation: [ContentType.Prepare] is the single entry point the engine
//     calls on every save. It checks a JSON body against the definition,
//     collects every problem as [Diagnostics] with a path, and returns
//     normalised [Values] (block ids assigned, dates normalised, tags
//     de-duplicated).
//   - Delivery: [ContentType.Render] turns richtext markdown into sanitised
//     HTML with a [Renderer]; [ContentType.JSONSchema] describes input and
//     output bodies; [ContentType.IndexEntries] projects indexed fields for
//     filtering and sorting.
//   - Traversal: [ContentType.Walk] and [ContentType.References].
//   - Evolution: [ContentType.Hash] and [Diff].
//
// # Values
//
// Prepared values use only the shapes that encoding/json produces when it
// decodes with UseNumber: map[string]any, []any, string, bool and
// json.Number. Values decoded from storage with [DecodeValues] are therefore
// identical to freshly prepared ones. Per kind:
//
//	text, longtext, richtext  string (richtext holds markdown source)
//	integer                   json.Number in canonical form ("100", never "1e2")
//	decimal                   json.Number as received
//	boolean                   bool
//	date                      string "YYYY-MM-DD"
//	datetime                  string, RFC 3339 in UTC (time.RFC3339Nano)
//	select, reference, media  string
//	tags                      []any of distinct, trimmed strings
//	json                      any decoded JSON value
//	struct                    map[string]any of the present members
//	list                      []any of {"type":"item","id":ID,"value":V}
//	stream                    []any of {"type":NAME,"id":ID,"value":V}
//
// A JSON null, an empty string and an empty array all mean "no value": the
// member is left out of the result, and a Required field reports "required".
// Inside a list or stream the block stays and only its "value" is left out.
//
// # Paths
//
// Diagnostics, [ContentType.Walk] and [Ref] address values with paths:
//
//	fields.title                     a top-level field
//	fields.seo.description           a struct member
//	fields.body[b1].value.caption    a block addressed by its id
//	fields.body[3].type              a block without a usable id, by index
//	fields.tags[2]                   a tag
//
// Definition diagnostics use fields.<name>, fields.<name>.children.<name>,
// fields.<name>.item, followed by the option at fault (".pattern").
package contenttypes

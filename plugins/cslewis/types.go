package cslewis

import "github.com/inklingcms/inkling/contenttypes"

// Registers are the reading registers a passage (and a daily drop) belongs to.
var Registers = []string{"devotional", "narrative", "apologetic", "letters", "poetry"}

// WorkKinds are the kinds of work.
var WorkKinds = []string{"book", "essay_collection", "letters", "poetry", "sermon", "other"}

func choices(values []string) []contenttypes.Choice {
	out := make([]contenttypes.Choice, len(values))
	for i, v := range values {
		out[i] = contenttypes.Choice{Value: v}
	}
	return out
}

func intp(n int) *int           { return &n }
func floatp(f float64) *float64 { return &f }

// workType is a book, collection or letters: the source of passages, with
// its rights and where to buy it.
func workType() contenttypes.ContentType {
	return contenttypes.ContentType{Key: "work", Label: "Work", Description: "A book, essay collection or volume of letters.",
		Fields: []contenttypes.Field{
			{Name: "author", Label: "Author", Kind: contenttypes.KindText, Required: true, Default: []byte(`"C. S. Lewis"`)},
			{Name: "year", Label: "First published", Kind: contenttypes.KindInteger, Indexed: true, Min: floatp(1800), Max: floatp(2100)},
			{Name: "kind", Label: "Kind", Kind: contenttypes.KindSelect, Required: true, Indexed: true, Choices: choices(WorkKinds)},
			{Name: "cover", Label: "Cover image", Kind: contenttypes.KindMedia},
			{Name: "rights", Label: "Rights", Kind: contenttypes.KindStruct, Required: true, Children: []contenttypes.Field{
				{Name: "audio_allowed", Label: "Audio allowed", Help: "Narrated audio may be generated and served (not for the Narnia books).",
					Kind: contenttypes.KindBoolean, Required: true},
				{Name: "excerpts_allowed", Label: "Excerpts allowed", Kind: contenttypes.KindBoolean},
				{Name: "holder", Label: "Rights holder", Kind: contenttypes.KindText},
				{Name: "notes", Label: "Notes", Kind: contenttypes.KindLongText},
			}},
			{Name: "purchase_links", Label: "Where to buy", Help: "The source ladder, in order of preference.",
				Kind: contenttypes.KindList, MaxItems: intp(10), Item: &contenttypes.Field{Name: "link", Kind: contenttypes.KindStruct,
					Children: []contenttypes.Field{
						{Name: "label", Label: "Label", Kind: contenttypes.KindText, Required: true, MaxLength: intp(80)},
						{Name: "url", Label: "URL", Kind: contenttypes.KindText, Required: true, Pattern: `^https://\S+$`},
						{Name: "retailer", Label: "Retailer", Kind: contenttypes.KindText},
						{Name: "affiliate", Label: "Affiliate link", Kind: contenttypes.KindBoolean},
					}}},
			{Name: "description", Label: "Description", Kind: contenttypes.KindRichText},
		}}
}

// passageType is an excerpt with its register, motifs and (AI-drafted,
// editor-reviewed) tags.
func passageType() contenttypes.ContentType {
	return contenttypes.ContentType{Key: "passage", Label: "Passage", Description: "An excerpt read in the app.",
		Fields: []contenttypes.Field{
			{Name: "body", Label: "Text", Kind: contenttypes.KindStream, Required: true, MinItems: intp(1), Children: []contenttypes.Field{
				{Name: "paragraph", Label: "Paragraph", Kind: contenttypes.KindRichText},
				{Name: "quote", Label: "Quotation", Kind: contenttypes.KindStruct, Children: []contenttypes.Field{
					{Name: "text", Label: "Text", Kind: contenttypes.KindLongText, Required: true},
					{Name: "attribution", Label: "Attribution", Kind: contenttypes.KindText},
				}},
				{Name: "scripture", Label: "Scripture", Kind: contenttypes.KindStruct, Children: []contenttypes.Field{
					{Name: "reference", Label: "Reference", Kind: contenttypes.KindText, Required: true, Help: "e.g. John 1:5"},
					{Name: "text", Label: "Text", Kind: contenttypes.KindLongText},
					{Name: "translation", Label: "Translation", Kind: contenttypes.KindText},
				}},
				{Name: "heading", Label: "Heading", Kind: contenttypes.KindText},
			}},
			{Name: "work", Label: "Work", Kind: contenttypes.KindReference, Required: true, Indexed: true, AllowedTypes: []string{"work"}},
			{Name: "chapter", Label: "Chapter", Kind: contenttypes.KindText},
			{Name: "location", Label: "Location", Help: "Page or position in the edition.", Kind: contenttypes.KindText},
			{Name: "register", Label: "Register", Kind: contenttypes.KindSelect, Required: true, Indexed: true, Choices: choices(Registers)},
			{Name: "motifs", Label: "Motifs", Kind: contenttypes.KindTags, Indexed: true, Taxonomy: "motifs", MaxItems: intp(30)},
			{Name: "tag_review", Label: "Tag review", Kind: contenttypes.KindStruct, Private: true, Children: []contenttypes.Field{
				{Name: "status", Label: "Status", Help: "draft: AI-drafted, needs review; failed: drafting failed (see error).",
					Kind: contenttypes.KindSelect, Choices: choices([]string{"draft", "reviewed", "failed"})},
				{Name: "suggestions", Label: "Suggested tags", Kind: contenttypes.KindList, Item: &contenttypes.Field{
					Name: "suggestion", Kind: contenttypes.KindStruct, Children: []contenttypes.Field{
						{Name: "tag", Label: "Tag", Kind: contenttypes.KindText, Required: true},
						{Name: "confidence", Label: "Confidence", Kind: contenttypes.KindDecimal, Min: floatp(0), Max: floatp(1)},
						{Name: "source", Label: "Source", Kind: contenttypes.KindSelect, Choices: choices([]string{"ai", "editor"})},
					}}},
				{Name: "text_hash", Label: "Text hash", Help: "Hash of the text the suggestions were drafted from.", Kind: contenttypes.KindText},
				{Name: "model", Label: "Model", Kind: contenttypes.KindText},
				{Name: "drafted_at", Label: "Drafted at", Kind: contenttypes.KindDateTime},
				{Name: "error", Label: "Last error", Kind: contenttypes.KindLongText},
			}},
			// Private: apps get the audio only from /api/v1/today (and the
			// like), as a URL, and only when the work's rights allow audio.
			{Name: "audio", Label: "Audio reading", Kind: contenttypes.KindMedia, Private: true},
			{Name: "featured_image", Label: "Featured image", Kind: contenttypes.KindMedia},
		}}
}

// dailyDropType is the passage of a day in a register; one per (date,
// register).
func dailyDropType() contenttypes.ContentType {
	return contenttypes.ContentType{Key: "daily_drop", Label: "Daily drop", Description: "The passage of the day in one register.",
		Fields: []contenttypes.Field{
			{Name: "date", Label: "Date", Kind: contenttypes.KindDate, Required: true, Indexed: true},
			{Name: "register", Label: "Register", Kind: contenttypes.KindSelect, Required: true, Indexed: true, Choices: choices(Registers)},
			{Name: "passage", Label: "Passage", Kind: contenttypes.KindReference, Required: true, Indexed: true, AllowedTypes: []string{"passage"}},
			{Name: "note", Label: "Editor's note", Kind: contenttypes.KindRichText},
		}}
}

// articleType is a long-form article, synced from Substack or written here.
func articleType() contenttypes.ContentType {
	return contenttypes.ContentType{Key: "article", Label: "Article", Description: "An article from Substack or written by editors.",
		Fields: []contenttypes.Field{
			{Name: "author", Label: "Author", Kind: contenttypes.KindText},
			{Name: "canonical_url", Label: "Canonical URL", Kind: contenttypes.KindText, Pattern: `^https://\S+$`},
			{Name: "published_date", Label: "Published", Kind: contenttypes.KindDateTime, Indexed: true},
			{Name: "excerpt", Label: "Excerpt", Kind: contenttypes.KindLongText, MaxLength: intp(1000)},
			{Name: "body", Label: "Body", Kind: contenttypes.KindRichText, Help: "Markdown; synced HTML is sanitised before it is stored."},
			{Name: "source", Label: "Source", Kind: contenttypes.KindSelect, Indexed: true, Choices: choices([]string{"substack", "editor"})},
			{Name: "guid", Label: "Feed GUID", Kind: contenttypes.KindText, Indexed: true, Help: "Identity of a synced article in its feed."},
		}}
}

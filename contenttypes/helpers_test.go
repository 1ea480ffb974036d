package contenttypes

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"testing"
)

func intp(n int) *int { return &n }

func floatp(f float64) *float64 { return &f }

// seqIDs returns a deterministic NewID: id1, id2, ...
func seqIDs() func() string {
	n := 0
	return func() string { n++; return "id" + strconv.Itoa(n) }
}

// noIDs is a NewID that fails the test if called.
func noIDs(t testing.TB) func() string {
	return func() string { t.Helper(); t.Errorf("NewID called"); return "unexpected" }
}

// articleType is a content type using every kind, with nested blocks.
func articleType() *ContentType {
	return &ContentType{
		Key:         "article",
		Label:       "Article",
		Description: "A news article.",
		Fields: []Field{
			{Name: "headline", Label: "Headline", Help: "Shown in lists.", Kind: KindText, Required: true, MaxLength: intp(20), Indexed: true},
			{Name: "summary", Kind: KindLongText, MinLength: intp(3)},
			{Name: "intro", Kind: KindRichText},
			{Name: "rating", Kind: KindInteger, Min: floatp(1), Max: floatp(5), Indexed: true},
			{Name: "price", Kind: KindDecimal, Min: floatp(0)},
			{Name: "featured", Kind: KindBoolean, Indexed: true},
			{Name: "day", Kind: KindDate, Indexed: true},
			{Name: "at", Kind: KindDateTime, Indexed: true},
			{Name: "status", Kind: KindSelect, Indexed: true, Choices: []Choice{{Value: "draft", Label: "Draft"}, {Value: "live"}}},
			{Name: "tags", Kind: KindTags, MaxItems: intp(3), Indexed: true},
			{Name: "author", Kind: KindReference, AllowedTypes: []string{"person"}, Indexed: true},
			{Name: "image", Kind: KindMedia},
			{Name: "extra", Kind: KindJSON},
			{Name: "code", Kind: KindText, Pattern: `^[A-Z]{3}$`},
			{Name: "seo", Kind: KindStruct, Children: []Field{
				{Name: "title", Kind: KindText, Required: true},
				{Name: "noindex", Kind: KindBoolean},
			}},
			{Name: "links", Kind: KindList, MaxItems: intp(3), Item: &Field{Kind: KindText}},
			{Name: "body", Kind: KindStream, Children: []Field{
				{Name: "paragraph", Label: "Paragraph", Kind: KindRichText, Required: true},
				{Name: "gallery", Kind: KindStruct, Children: []Field{
					{Name: "caption", Kind: KindRichText},
					{Name: "items", Kind: KindList, Item: &Field{Kind: KindStruct, Children: []Field{
						{Name: "image", Kind: KindMedia, Required: true},
						{Name: "alt", Kind: KindText},
					}}},
				}},
				{Name: "quote", Kind: KindStruct, Children: []Field{
					{Name: "text", Kind: KindText, Required: true},
					{Name: "source", Kind: KindReference, AllowedTypes: []string{"person", "book"}},
				}},
				{Name: "divider", Kind: KindJSON},
			}},
		},
	}
}

// fullArticle is a valid body for articleType using every field.
const fullArticle = `{
	"headline": "Hello",
	"summary": "Line one\nLine two",
	"intro": "Some *markdown*",
	"rating": 4,
	"price": 12.50,
	"featured": true,
	"day": "2024-02-29",
	"at": "2024-01-02T03:04:05.5+02:00",
	"status": "live",
	"tags": [" go ", "cms", "go"],
	"author": "p1",
	"image": "media/cat.png",
	"extra": {"a": [1, 2.50, null], "b": "x"},
	"code": "ABC",
	"seo": {"title": "SEO", "noindex": false},
	"links": ["https://a.example", {"type": "item", "id": "l1", "value": "https://b.example"}],
	"body": [
		{"type": "paragraph", "id": "b1", "value": "First **para**"},
		{"type": "gallery", "value": {"caption": "Cap", "items": [
			{"type": "item", "id": "i1", "value": {"image": "m1", "alt": "one"}},
			{"image": "m2"}
		]}},
		{"type": "quote", "id": "b3", "value": {"text": "Quoted", "source": "book9"}},
		{"type": "divider", "id": "b4"}
	]
}`

// diagKeys returns "path code" for each diagnostic, sorted.
func diagKeys(ds Diagnostics) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Path + " " + d.Code
	}
	sort.Strings(out)
	return out
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(data)
}

// canon re-encodes a JSON text so that two texts can be compared.
func canon(t testing.TB, s string) string {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return mustJSON(t, v)
}

func sprint(v any) string { return fmt.Sprintf("%v", v) }

package contenttypes

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestPrepareKinds(t *testing.T) {
	ct := articleType()
	tests := []struct {
		name string
		body string // fields other than headline; headline "H" is added unless set
		want string // expected JSON of the named field (or of all values when field is "")
		// field names the value compared with want.
		field string
		diags []string // sorted "path code" of errors and warnings
	}{
		// text
		{name: "text ok", body: `"headline":"Hello"`, field: "headline", want: `"Hello"`},
		{name: "text too long", body: `"headline":"123456789012345678901"`, diags: []string{"fields.headline too_long"}},
		{name: "text max length counts runes", body: `"headline":"ééééééééééééééééééé"`, field: "headline", want: `"ééééééééééééééééééé"`},
		{name: "text newline", body: `"headline":"a\nb"`, diags: []string{"fields.headline invalid_format"}},
		{name: "text number", body: `"headline":5`, diags: []string{"fields.headline type_mismatch"}},
		{name: "text missing", body: `"headline":null`, diags: []string{"fields.headline required"}},
		{name: "text empty", body: `"headline":""`, diags: []string{"fields.headline required"}},
		{name: "pattern ok", body: `"code":"ABC"`, field: "code", want: `"ABC"`},
		{name: "pattern mismatch", body: `"code":"abc"`, diags: []string{"fields.code pattern_mismatch"}},
		// longtext
		{name: "longtext multi-line", body: `"summary":"a\nb\nc"`, field: "summary", want: `"a\nb\nc"`},
		{name: "longtext too short", body: `"summary":"ab"`, diags: []string{"fields.summary too_short"}},
		{name: "optional empty string is dropped", body: `"summary":""`, field: "summary", want: `null`},
		// richtext
		{name: "richtext ok", body: `"intro":"# Hi"`, field: "intro", want: `"# Hi"`},
		{name: "richtext object", body: `"intro":{"markdown":"x"}`, diags: []string{"fields.intro type_mismatch"}},
		// integer
		{name: "integer ok", body: `"rating":3`, field: "rating", want: `3`},
		{name: "integer canonical", body: `"rating":3.0e0`, field: "rating", want: `3`},
		{name: "integer string", body: `"rating":"3"`, diags: []string{"fields.rating type_mismatch"}},
		{name: "integer fraction", body: `"rating":2.5`, diags: []string{"fields.rating type_mismatch"}},
		{name: "integer below min", body: `"rating":0`, diags: []string{"fields.rating out_of_range"}},
		{name: "integer above max", body: `"rating":6`, diags: []string{"fields.rating out_of_range"}},
		{name: "integer beyond int64", body: `"rating":9223372036854775808`, diags: []string{"fields.rating out_of_range"}},
		{name: "integer huge exponent", body: `"rating":1e999999999`, diags: []string{"fields.rating out_of_range"}},
		// decimal
		{name: "decimal keeps text", body: `"price":1.50`, field: "price", want: `1.50`},
		{name: "decimal integer", body: `"price":2`, field: "price", want: `2`},
		{name: "decimal below min", body: `"price":-0.01`, diags: []string{"fields.price out_of_range"}},
		{name: "decimal overflow", body: `"price":1e999`, diags: []string{"fields.price out_of_range"}},
		{name: "decimal bool", body: `"price":true`, diags: []string{"fields.price type_mismatch"}},
		// boolean
		{name: "boolean ok", body: `"featured":false`, field: "featured", want: `false`},
		{name: "boolean string", body: `"featured":"true"`, diags: []string{"fields.featured type_mismatch"}},
		// date
		{name: "date ok", body: `"day":"2024-02-29"`, field: "day", want: `"2024-02-29"`},
		{name: "date not real", body: `"day":"2023-02-29"`, diags: []string{"fields.day invalid_format"}},
		{name: "date short form", body: `"day":"2024-2-3"`, diags: []string{"fields.day invalid_format"}},
		{name: "date number", body: `"day":20240101`, diags: []string{"fields.day type_mismatch"}},
		// datetime
		{name: "datetime to UTC", body: `"at":"2024-01-02T03:04:05+02:00"`, field: "at", want: `"2024-01-02T01:04:05Z"`},
		{name: "datetime fraction", body: `"at":"2024-01-02T03:04:05.120Z"`, field: "at", want: `"2024-01-02T03:04:05.12Z"`},
		{name: "datetime date only", body: `"at":"2024-01-02"`, diags: []string{"fields.at invalid_format"}},
		{name: "datetime year 0 in UTC", body: `"at":"0000-01-01T00:00:00+01:00"`, diags: []string{"fields.at invalid_format"}},
		// select
		{name: "select ok", body: `"status":"draft"`, field: "status", want: `"draft"`},
		{name: "select invalid", body: `"status":"gone"`, diags: []string{"fields.status invalid_choice"}},
		{name: "select number", body: `"status":1`, diags: []string{"fields.status type_mismatch"}},
		// tags
		{name: "tags trimmed and deduplicated", body: `"tags":[" go ","cms","go"]`, field: "tags", want: `["go","cms"]`,
			diags: []string{"fields.tags[2] duplicate_tag"}},
		{name: "tags empty item", body: `"tags":["a"," "]`, diags: []string{"fields.tags[1] too_short"}},
		{name: "tags non-string", body: `"tags":["a",1]`, diags: []string{"fields.tags[1] type_mismatch"}},
		{name: "tags not array", body: `"tags":"a"`, diags: []string{"fields.tags type_mismatch"}},
		{name: "tags too many", body: `"tags":["a","b","c","d"]`, diags: []string{"fields.tags too_many_items"}},
		{name: "tags count after dedup", body: `"tags":["a","b","c","a"]`, field: "tags", want: `["a","b","c"]`,
			diags: []string{"fields.tags[3] duplicate_tag"}},
		{name: "tags empty array dropped", body: `"tags":[]`, field: "tags", want: `null`},
		// reference and media
		{name: "reference ok", body: `"author":"p1"`, field: "author", want: `"p1"`},
		{name: "reference number", body: `"author":7`, diags: []string{"fields.author type_mismatch"}},
		{name: "media ok", body: `"image":"a/b.png"`, field: "image", want: `"a/b.png"`},
		{name: "media object", body: `"image":{}`, diags: []string{"fields.image type_mismatch"}},
		// json
		{name: "json any", body: `"extra":{"n":1.50,"l":[true,null]}`, field: "extra", want: `{"l":[true,null],"n":1.50}`},
		{name: "json scalar", body: `"extra":42`, field: "extra", want: `42`},
		// struct
		{name: "struct ok", body: `"seo":{"title":"T"}`, field: "seo", want: `{"title":"T"}`},
		{name: "struct required member", body: `"seo":{"noindex":true}`, diags: []string{"fields.seo.title required"}},
		{name: "struct unknown member", body: `"seo":{"title":"T","x":1}`, diags: []string{"fields.seo.x unknown_field"}},
		{name: "struct wrong type", body: `"seo":"T"`, diags: []string{"fields.seo type_mismatch"}},
		{name: "struct member type", body: `"seo":{"title":"T","noindex":"yes"}`, diags: []string{"fields.seo.noindex type_mismatch"}},
		// list
		{name: "list wraps bare values", body: `"links":["a",{"type":"item","id":"l1","value":"b"}]`, field: "links",
			want: `[{"id":"id1","type":"item","value":"a"},{"id":"l1","type":"item","value":"b"}]`},
		{name: "list item type by id", body: `"links":[{"type":"item","id":"l1","value":5}]`, diags: []string{"fields.links[l1].value type_mismatch"}},
		{name: "list item type by index", body: `"links":["a",5]`, diags: []string{"fields.links[1].value type_mismatch"}},
		{name: "list too many", body: `"links":["a","b","c","d"]`, diags: []string{"fields.links too_many_items"}},
		{name: "list not array", body: `"links":{"a":1}`, diags: []string{"fields.links type_mismatch"}},
		{name: "list item empty value kept", body: `"links":[{"type":"item","id":"l1","value":""}]`, field: "links",
			want: `[{"id":"l1","type":"item"}]`},
		{name: "list unknown wrapper member is a bare value", body: `"links":[{"type":"item","value":"a","x":1}]`,
			diags: []string{"fields.links[0].value type_mismatch"}},
		// stream
		{name: "stream ok", body: `"body":[{"type":"paragraph","id":"b1","value":"p"},{"type":"divider"}]`, field: "body",
			want: `[{"id":"b1","type":"paragraph","value":"p"},{"id":"id1","type":"divider"}]`},
		{name: "stream unknown type", body: `"body":[{"type":"video","id":"b1","value":"v"}]`, diags: []string{"fields.body[b1].type unknown_block_type"}},
		{name: "stream missing type", body: `"body":[{"id":"b1","value":"v"}]`, diags: []string{"fields.body[b1].type required"}},
		{name: "stream block not object", body: `"body":["p"]`, diags: []string{"fields.body[0] type_mismatch"}},
		{name: "stream extra member", body: `"body":[{"type":"paragraph","id":"b1","value":"p","extra":1}]`, diags: []string{"fields.body[b1].extra unknown_field"}},
		{name: "stream required value", body: `"body":[{"type":"paragraph","id":"b1"}]`, diags: []string{"fields.body[b1].value required"}},
		{name: "stream nested path by ids",
			body:  `"body":[{"type":"gallery","id":"b1","value":{"items":[{"type":"item","id":"i1","value":{"image":"m"}},{"type":"item","id":"i2","value":{"alt":"x"}}]}}]`,
			diags: []string{"fields.body[b1].value.items[i2].value.image required"}},
		{name: "stream nested path by index",
			body:  `"body":[{"type":"gallery","value":{"items":[{"image":"m"},{"image":3,"zz":1}]}}]`,
			diags: []string{"fields.body[0].value.items[1].value.image type_mismatch", "fields.body[0].value.items[1].value.zz unknown_field"}},
		{name: "stream nested reference type", body: `"body":[{"type":"quote","id":"q","value":{"text":"t","source":1}}]`,
			diags: []string{"fields.body[q].value.source type_mismatch"}},
		// ids
		{name: "duplicate id", body: `"body":[{"type":"paragraph","id":"x","value":"a"},{"type":"paragraph","id":"x","value":"b"}]`,
			diags: []string{"fields.body[1].id duplicate_block_id"}},
		{name: "duplicate id across depth",
			body:  `"body":[{"type":"gallery","id":"x","value":{"items":[{"type":"item","id":"x","value":{"image":"m"}}]}}]`,
			diags: []string{"fields.body[x].value.items[0].id duplicate_block_id"}},
		{name: "same id in different fields", body: `"links":[{"type":"item","id":"x","value":"a"}],"body":[{"type":"divider","id":"x"}]`,
			field: "body", want: `[{"id":"x","type":"divider"}]`},
		{name: "id not a string", body: `"body":[{"type":"divider","id":5}]`, diags: []string{"fields.body[0].id type_mismatch"}},
		{name: "id with bad characters", body: `"body":[{"type":"divider","id":"a]b"}]`, diags: []string{"fields.body[0].id invalid_format"}},
		{name: "id too long", body: `"body":[{"type":"divider","id":"` + strings.Repeat("a", 65) + `"}]`, diags: []string{"fields.body[0].id invalid_format"}},
		{name: "generated id skips ids used later", body: `"body":[{"type":"divider"},{"type":"divider","id":"id1"}]`, field: "body",
			want: `[{"id":"id2","type":"divider"},{"id":"id1","type":"divider"}]`},
		// document level
		{name: "unknown fields", body: `"nope":1,"also":2`, diags: []string{"fields.also unknown_field", "fields.nope unknown_field"}},
		{name: "all errors collected", body: `"rating":"x","day":"x","status":"x","seo":{}`,
			diags: []string{"fields.day invalid_format", "fields.rating type_mismatch", "fields.seo.title required", "fields.status invalid_choice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "{" + tt.body + "}"
			if !strings.Contains(tt.body, `"headline"`) {
				body = `{"headline":"H",` + tt.body + "}"
			}
			got, diags := ct.Prepare(json.RawMessage(body), &PrepareOptions{NewID: seqIDs()})
			if keys := diagKeys(diags); !slices.Equal(keys, tt.diags) {
				t.Fatalf("diagnostics = %q, want %q\n%v", keys, tt.diags, diags)
			}
			for _, d := range diags {
				if d.Summary == "" {
					t.Errorf("diagnostic without summary: %+v", d)
				}
			}
			if diags.HasError() {
				if got != nil {
					t.Errorf("values returned with errors: %v", got)
				}
				return
			}
			if tt.field != "" {
				if g := mustJSON(t, got[tt.field]); g != canon(t, tt.want) {
					t.Errorf("%s = %s, want %s", tt.field, g, tt.want)
				}
			}
		})
	}
}

func TestPrepareDocument(t *testing.T) {
	ct := articleType()
	tests := []struct {
		name, body string
		diags      []string
	}{
		{"array body", `[]`, []string{" type_mismatch"}},
		{"string body", `"x"`, []string{" type_mismatch"}},
		{"invalid json", `{"headline":`, []string{" invalid_json"}},
		{"trailing data", `{"headline":"H"} {}`, []string{" invalid_json"}},
		{"empty body", ``, []string{"fields.headline required"}},
		{"null body", `null`, []string{"fields.headline required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ct.Prepare(json.RawMessage(tt.body), nil)
			if keys := diagKeys(diags); !slices.Equal(keys, tt.diags) {
				t.Fatalf("diagnostics = %q, want %q", keys, tt.diags)
			}
		})
	}
	var nilType *ContentType
	if _, diags := nilType.Prepare(json.RawMessage(`{}`), nil); !diags.HasError() {
		t.Error("nil content type accepted")
	}
}

func TestPrepareFull(t *testing.T) {
	ct := articleType()
	got, diags := ct.Prepare(json.RawMessage(fullArticle), &PrepareOptions{NewID: seqIDs()})
	if diags.HasError() {
		t.Fatalf("unexpected errors: %v", diags)
	}
	if w := diagKeys(diags.Warnings()); !slices.Equal(w, []string{"fields.tags[2] duplicate_tag"}) {
		t.Errorf("warnings = %q", w)
	}
	want := `{
		"at": "2024-01-02T01:04:05.5Z",
		"author": "p1",
		"body": [
			{"id": "b1", "type": "paragraph", "value": "First **para**"},
			{"id": "id2", "type": "gallery", "value": {"caption": "Cap", "items": [
				{"id": "i1", "type": "item", "value": {"alt": "one", "image": "m1"}},
				{"id": "id3", "type": "item", "value": {"image": "m2"}}
			]}},
			{"id": "b3", "type": "quote", "value": {"source": "book9", "text": "Quoted"}},
			{"id": "b4", "type": "divider"}
		],
		"code": "ABC",
		"day": "2024-02-29",
		"extra": {"a": [1, 2.50, null], "b": "x"},
		"featured": true,
		"headline": "Hello",
		"image": "media/cat.png",
		"intro": "Some *markdown*",
		"links": [{"id": "id1", "type": "item", "value": "https://a.example"}, {"id": "l1", "type": "item", "value": "https://b.example"}],
		"price": 12.50,
		"rating": 4,
		"seo": {"noindex": false, "title": "SEO"},
		"status": "live",
		"summary": "Line one\nLine two",
		"tags": ["go", "cms"]
	}`
	if g := mustJSON(t, got); g != canon(t, want) {
		t.Errorf("values =\n%s\nwant\n%s", g, canon(t, want))
	}

	// Idempotence: preparing the stored form changes nothing and assigns no id.
	again, diags := ct.Prepare(json.RawMessage(mustJSON(t, got)), &PrepareOptions{NewID: noIDs(t)})
	if diags.HasError() || len(diags) != 0 {
		t.Fatalf("second pass diagnostics: %v", diags)
	}
	if !reflect.DeepEqual(again, got) {
		t.Errorf("second pass differs:\n%s\n%s", mustJSON(t, again), mustJSON(t, got))
	}
	// Stored values decode to exactly the prepared values.
	stored, err := DecodeValues([]byte(mustJSON(t, got)))
	if err != nil || !reflect.DeepEqual(stored, got) {
		t.Errorf("DecodeValues = %v, %v", stored, err)
	}
}

func TestPrepareDefaultIDs(t *testing.T) {
	ct := articleType()
	got, diags := ct.Prepare(json.RawMessage(`{"headline":"H","links":["a"]}`), nil)
	if diags.HasError() {
		t.Fatal(diags)
	}
	id := got["links"].([]any)[0].(map[string]any)["id"].(string)
	if len(id) != 36 || !ValidBlockID(id) {
		t.Errorf("default id %q is not a UUID", id)
	}
}

func TestPrepareBadIDGenerator(t *testing.T) {
	ct := articleType()
	_, diags := ct.Prepare(json.RawMessage(`{"headline":"H","links":["a"]}`),
		&PrepareOptions{NewID: func() string { return "not valid!" }})
	if keys := diagKeys(diags); !slices.Equal(keys, []string{"fields.links internal"}) {
		t.Errorf("diagnostics = %q", keys)
	}
}

func TestPrepareDefaults(t *testing.T) {
	ct := &ContentType{Key: "d", Label: "D", Fields: []Field{
		{Name: "name", Kind: KindText, Required: true, Default: json.RawMessage(`"Untitled"`)},
		{Name: "count", Kind: KindInteger, Default: json.RawMessage(`1e1`)},
		{Name: "links", Kind: KindList, Item: &Field{Kind: KindText}, Default: json.RawMessage(`["x","y"]`)},
		{Name: "info", Kind: KindStruct, Children: []Field{
			{Name: "lang", Kind: KindSelect, Choices: []Choice{{Value: "en"}, {Value: "fr"}}, Default: json.RawMessage(`"en"`)},
		}},
	}}
	if diags := ct.Validate(); len(diags) != 0 {
		t.Fatal(diags)
	}
	tests := []struct {
		name, body string
		apply      bool
		want       string
		diags      []string
	}{
		{"applied", `{"info":{}}`, true,
			`{"count":10,"links":[{"id":"id1","type":"item","value":"x"},{"id":"id2","type":"item","value":"y"}],"info":{"lang":"en"},"name":"Untitled"}`, nil},
		{"present values win", `{"name":"T","count":2,"links":["z"],"info":{"lang":"fr"}}`, true,
			`{"count":2,"links":[{"id":"id1","type":"item","value":"z"}],"info":{"lang":"fr"},"name":"T"}`, nil},
		{"empty values take the default", `{"name":"","links":[],"info":{}}`, true,
			`{"count":10,"links":[{"id":"id1","type":"item","value":"x"},{"id":"id2","type":"item","value":"y"}],"info":{"lang":"en"},"name":"Untitled"}`, nil},
		{"not applied", `{"info":{}}`, false, ``, []string{"fields.name required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := ct.Prepare(json.RawMessage(tt.body), &PrepareOptions{NewID: seqIDs(), ApplyDefaults: tt.apply})
			if keys := diagKeys(diags); !slices.Equal(keys, tt.diags) {
				t.Fatalf("diagnostics = %q, want %q", keys, tt.diags)
			}
			if tt.want != "" && mustJSON(t, got) != canon(t, tt.want) {
				t.Errorf("values = %s, want %s", mustJSON(t, got), tt.want)
			}
		})
	}
}

func TestParseInteger(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		res  integerResult
	}{
		{"0", 0, integerOK}, {"-0", 0, integerOK}, {"42", 42, integerOK}, {"-7", -7, integerOK},
		{"1.0", 1, integerOK}, {"1.50e1", 15, integerOK}, {"1e3", 1000, integerOK}, {"0.0e99999999", 0, integerOK},
		{"100e-2", 1, integerOK}, {"1.5", 0, integerFraction}, {"1e-1", 0, integerFraction},
		{"9223372036854775807", 9223372036854775807, integerOK}, {"-9223372036854775808", -9223372036854775808, integerOK},
		{"9223372036854775808", 0, integerRange}, {"9.3e18", 0, integerRange}, {"1e9999999", 0, integerRange},
		{"1e-9999999", 0, integerFraction}, {"abc", 0, integerSyntax}, {"1.", 0, integerSyntax}, {".5", 0, integerSyntax},
	}
	for _, tt := range tests {
		n, res := parseInteger(tt.in)
		if n != tt.want || res != tt.res {
			t.Errorf("parseInteger(%q) = %d, %d; want %d, %d", tt.in, n, res, tt.want, tt.res)
		}
	}
}

func TestDecodeValues(t *testing.T) {
	if v, err := DecodeValues(nil); err != nil || len(v) != 0 {
		t.Errorf("DecodeValues(nil) = %v, %v", v, err)
	}
	if _, err := DecodeValues([]byte(`[1]`)); err == nil {
		t.Error("array accepted")
	}
	v, err := DecodeValues([]byte(`{"n":1.50}`))
	if err != nil || v["n"] != json.Number("1.50") {
		t.Errorf("DecodeValues = %v, %v", v, err)
	}
}

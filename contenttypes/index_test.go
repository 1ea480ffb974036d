package contenttypes

import (
	"encoding/json"
	"strings"
	"testing"
)

// entryString formats an index entry as "field=text" or "field#num".
func entryString(e IndexEntry) string {
	switch {
	case e.Text != nil && e.Num == nil:
		return e.Field + "=" + *e.Text
	case e.Num != nil && e.Text == nil:
		return e.Field + "#" + formatFloat(*e.Num)
	}
	return e.Field + "?invalid"
}

func TestIndexEntries(t *testing.T) {
	ct := articleType()
	v, diags := ct.Prepare(json.RawMessage(fullArticle), &PrepareOptions{NewID: seqIDs()})
	if diags.HasError() {
		t.Fatal(diags)
	}
	var got []string
	for _, e := range ct.IndexEntries(v) {
		got = append(got, entryString(e))
	}
	want := "headline=Hello rating#4 featured#1 day=2024-02-29 at=2024-01-02T01:04:05.500000Z status=live tags=go tags=cms author=p1"
	if strings.Join(got, " ") != want {
		t.Errorf("entries = %s\nwant      %s", strings.Join(got, " "), want)
	}
	// Stored values decoded without UseNumber (float64) project the same.
	var plain Values
	_ = json.Unmarshal([]byte(mustJSON(t, v)), &plain)
	got = nil
	for _, e := range ct.IndexEntries(plain) {
		got = append(got, entryString(e))
	}
	if strings.Join(got, " ") != want {
		t.Errorf("float64 entries = %s", strings.Join(got, " "))
	}
	if e := ct.IndexEntries(Values{"featured": false, "rating": "x"}); len(e) != 1 || entryString(e[0]) != "featured#0" {
		t.Errorf("entries = %v", e)
	}
}

func TestIndexValue(t *testing.T) {
	ct := articleType()
	field := func(name string) *Field { f, _ := ct.Field(name); return f }
	tests := []struct {
		field, in, want, err string
	}{
		{"headline", "Hello", "headline=Hello", ""},
		{"rating", "3", "rating#3", ""},
		{"rating", "3.5", "", "expected an integer"},
		{"rating", "x", "", "expected an integer"},
		{"price", "2.25", "price#2.25", ""},
		{"price", "NaN", "", "expected a number"},
		{"price", "0x10", "", "expected a number"},
		{"featured", "true", "featured#1", ""},
		{"featured", "0", "featured#0", ""},
		{"featured", "yes", "", "expected true or false"},
		{"day", "2024-01-31", "day=2024-01-31", ""},
		{"day", "2024-01-32", "", "YYYY-MM-DD"},
		{"at", "2024-01-02T03:04:05+01:00", "at=2024-01-02T02:04:05.000000Z", ""},
		{"at", "2024-01-02", "at=2024-01-02T00:00:00.000000Z", ""},
		{"at", "yesterday", "", "RFC 3339"},
		{"status", "draft", "status=draft", ""},
		{"status", "nope", "", `expected one of "draft", "live"`},
		{"tags", " go ", "tags=go", ""},
		{"author", "p1", "author=p1", ""},
		{"intro", "x", "", "cannot be filtered"},
		{"body", "x", "", "cannot be filtered"},
	}
	for _, tt := range tests {
		e, err := field(tt.field).IndexValue(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("%s %q: err = %v, want %q", tt.field, tt.in, err, tt.err)
			}
		case err != nil:
			t.Errorf("%s %q: %v", tt.field, tt.in, err)
		case entryString(e) != tt.want:
			t.Errorf("%s %q = %s, want %s", tt.field, tt.in, entryString(e), tt.want)
		}
	}
}

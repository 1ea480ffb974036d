package cslewis

import (
	"context"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/inklingcms/inkling/plugins/sdk/sdktest"
)

func TestDeclaration(t *testing.T) {
	if diags := Plugin().Check(); diags.HasError() {
		t.Fatalf("declaration: %v", diags)
	}
	h := sdktest.New(t, Plugin(), nil)
	if got := h.Metadata.GetContentTypes(); len(got) != 4 {
		t.Fatalf("content types: %v", got)
	}
}

func TestDailyDropUniquePerDateAndRegister(t *testing.T) {
	h := sdktest.New(t, Plugin(), nil)
	ctx := context.Background()
	first := h.Store.Add(sdk.Entry{Type: "daily_drop", Title: "Monday devotional",
		Fields: contenttypes.Values{"date": "2026-12-01", "register": "devotional", "passage": "p1"}}).ID
	h.Store.Publish(first)
	cases := []struct {
		name   string
		id     string
		fields map[string]any
		dup    bool
	}{
		{"same date and register", "", map[string]any{"date": "2026-12-01", "register": "devotional", "passage": "p2"}, true},
		{"another register", "", map[string]any{"date": "2026-12-01", "register": "narrative", "passage": "p2"}, false},
		{"another date", "", map[string]any{"date": "2026-12-02", "register": "devotional", "passage": "p2"}, false},
		{"the published drop itself", first, map[string]any{"date": "2026-12-01", "register": "devotional", "passage": "p3"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diags, err := h.Validate(ctx, sdktest.Save{Type: "daily_drop", EntryID: tc.id, Fields: tc.fields})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(diags.At("fields.date")) > 0; got != tc.dup {
				t.Fatalf("duplicate reported = %v, want %v: %v", got, tc.dup, diags)
			}
		})
	}
}

func TestTagsReviewedTask(t *testing.T) {
	cases := []struct {
		name   string
		entry  sdk.Entry
		result string
	}{
		{"reviewed passage", sdk.Entry{Type: "passage", Fields: contenttypes.Values{"tag_review": map[string]any{"status": "reviewed"}}}, sdk.TaskApprove},
		{"draft tags", sdk.Entry{Type: "passage", Fields: contenttypes.Values{"tag_review": map[string]any{"status": "draft"}}}, sdk.TaskRequestChanges},
		{"never reviewed", sdk.Entry{Type: "passage", Fields: contenttypes.Values{}}, sdk.TaskRequestChanges},
		{"not a passage", sdk.Entry{Type: "work"}, sdk.TaskApprove},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tagsReviewed(context.Background(), nil, &sdk.TaskRun{Kind: "tags_reviewed", Entry: &tc.entry})
			if err != nil || d.Outcome != tc.result {
				t.Fatalf("decision %+v %v, want %s", d, err, tc.result)
			}
		})
	}
}

func TestTodayInEditorialTimeZone(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct{ tz, want string }{
		{"", "2026-12-01"}, {"UTC", "2026-12-01"}, {"Europe/London", "2026-12-01"}, {"Asia/Tokyo", "2026-12-02"}, {"America/Los_Angeles", "2026-12-01"},
	} {
		got, err := Today(at, tc.tz)
		if err != nil || got != tc.want {
			t.Errorf("Today(%s) = %q %v, want %s", tc.tz, got, err, tc.want)
		}
	}
	if _, err := Today(at, "Mars/Olympus"); err == nil {
		t.Error("an unknown time zone is accepted")
	}
}

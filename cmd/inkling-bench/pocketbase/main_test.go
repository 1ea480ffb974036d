package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

const sample = `{"id":"p1","type":"passage","title":"One","fields":{"register":"devotional","motifs":["joy","grace"],"work":"w1","body":[{"type":"paragraph","value":{"markdown":"a","html":"<p>a</p>"}}]}}
{"id":"p2","type":"passage","title":"Two","fields":{"register":"letters","motifs":["grace","pain"],"work":{"id":"w2","title":"Expanded"},"body":[]}}
{"id":"p3","type":"passage","title":"Three","fields":{"register":"letters","motifs":["pain"],"work":"w1","body":[]}}
`

func newApp(t *testing.T) core.App {
	t.Helper()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.ResetBootstrapState() })
	return app
}

func inklingIDs(t *testing.T, app core.App, filter string) []string {
	t.Helper()
	recs, err := app.FindRecordsByFilter(collectionName, filter, "inkling_id", 0, 0)
	if err != nil {
		t.Fatalf("%s: %v", filter, err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.GetString("inkling_id"))
	}
	return ids
}

func TestImportAndAnyTagFilter(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	n, err := importPassages(app, strings.NewReader(sample))
	if err != nil || n != 3 {
		t.Fatalf("import: %d, %v", n, err)
	}
	// Importing again inserts nothing.
	if n, err := importPassages(app, strings.NewReader(sample)); err != nil || n != 0 {
		t.Fatalf("second import: %d, %v", n, err)
	}
	col, err := app.FindCollectionByNameOrId(collectionName)
	if err != nil {
		t.Fatal(err)
	}
	if col.ListRule == nil || *col.ListRule != "" {
		t.Errorf("list rule: %v, want public", col.ListRule)
	}
	motifs := col.Fields.GetByName("motifs").(*core.SelectField)
	if want := []string{"grace", "joy", "pain"}; !slices.Equal(motifs.Values, want) || motifs.MaxSelect != 3 {
		t.Errorf("motifs field: %v max %d, want %v max 3", motifs.Values, motifs.MaxSelect, want)
	}

	rec, err := app.FindFirstRecordByData(collectionName, "inkling_id", "p2")
	if err != nil {
		t.Fatal(err)
	}
	if rec.GetString("work") != "w2" || rec.GetString("register") != "letters" || !slices.Equal(rec.GetStringSlice("motifs"), []string{"grace", "pain"}) {
		t.Errorf("p2 imported as %v", rec.PublicExport())
	}

	for _, tc := range []struct{ filter, want string }{
		// The bench's query: any of the seed's motifs, not the seed.
		{`(motifs:each?="joy"||motifs:each?="grace")&&inkling_id!="p1"`, "p2"},
		{`motifs:each?="pain"`, "p2,p3"},
		// Without ":each" a multiple select is its JSON text
		// (["grace","pain"]): "?=" compares that whole text.
		{`motifs?="pain"`, ""},
		// "~" is LIKE on that text: a substring ("pain" would also match
		// a motif "pain-of-loss").
		{`motifs~"pain"`, "p2,p3"},
		// ":each" without "?": every item must equal the value.
		{`motifs:each="pain"`, "p3"},
	} {
		if got := strings.Join(inklingIDs(t, app, tc.filter), ","); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.filter, got, tc.want)
		}
	}
}

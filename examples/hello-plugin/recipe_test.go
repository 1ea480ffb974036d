package main

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/inklingcms/inkling/plugins/sdk/sdktest"
)

func TestDeclaration(t *testing.T) {
	if ds := newPlugin().Check(); len(ds) > 0 {
		t.Fatal(ds)
	}
	h := sdktest.New(t, newPlugin(), nil)
	md := h.Metadata
	if md.GetName() != "hello" || !slices.Equal(md.GetScopes(), []string{sdk.ScopeEntriesRead}) ||
		!slices.Equal(md.GetContentTypes(), []string{"recipe"}) || md.GetEndpoints()[0].GetPath() != "/recipes/quick" {
		t.Errorf("metadata: %v", md)
	}
}

// stepBlock returns a step block.
func stepBlock(id, text string, minutes int) map[string]any {
	return map[string]any{"type": "step", "id": id, "value": map[string]any{"text": text, "minutes": minutes}}
}

func TestValidate(t *testing.T) {
	h := sdktest.New(t, newPlugin(), nil)
	cases := []struct {
		name  string
		body  []any
		diags []string // path code
	}{
		{"fine", []any{stepBlock("s1", "Toast the bread.", 3), map[string]any{"type": "tip", "id": "t1", "value": "Use stale bread."}}, nil},
		{"no step", []any{map[string]any{"type": "tip", "id": "t1", "value": "Just eat it."}}, []string{"fields.body too_few_items"}},
		{"no body", nil, []string{"fields.body too_few_items"}},
		{"more than a day", []any{stepBlock("s1", "Soak.", 1000), stepBlock("s2", "Ferment.", 500), stepBlock("s3", "Bake.", 60)},
			[]string{"fields.body[s2].value.minutes out_of_range"}},
		{"exactly a day", []any{stepBlock("s1", "Soak.", 1000), stepBlock("s2", "Bake.", 440)}, nil},
		{"invalid values never reach the hook", []any{stepBlock("s1", "", 5)}, []string{"fields.body[s1].value.text required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := h.Validate(t.Context(), sdktest.Save{Type: "recipe", Title: "Toast",
				Fields: map[string]any{"summary": "Bread, but hot.", "body": tc.body}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Path+" "+d.Code)
			}
			if !slices.Equal(got, tc.diags) {
				t.Errorf("got %q, want %q", got, tc.diags)
			}
		})
	}
}

func TestBeforeSave(t *testing.T) {
	h := sdktest.New(t, newPlugin(), nil)
	fields := `{"summary": "  Bread, but hot.  ", "cuisine": "french", "tags": ["Breakfast", " QUICK ", "quick"], "servings": 2}`
	v, ds, err := h.BeforeSave(t.Context(), sdktest.Save{Type: "recipe", Title: "Toast", Fields: fields})
	if err != nil || len(ds) > 0 {
		t.Fatal(err, ds)
	}
	raw, _ := json.Marshal(v)
	want := `{"cuisine":"french","servings":2,"summary":"Bread, but hot.","tags":["breakfast","quick"]}`
	if string(raw) != want {
		t.Errorf("got %s, want %s", raw, want)
	}
}

// TestSave runs the host's whole save pipeline: prepare, before_save,
// validate, prepare again.
func TestSave(t *testing.T) {
	h := sdktest.New(t, newPlugin(), nil)
	cases := []struct {
		name   string
		fields string
		diags  []string // path code
		tags   string
	}{
		{"normalised and valid", `{"summary": " Soup ", "tags": ["Quick", "quick"], "body": [{"type": "step", "id": "a", "value": {"text": "Heat.", "minutes": 10}}]}`,
			nil, `["quick"]`},
		{"a prepare error stops everything", `{"summary": "Soup", "cuisine": "French"}`, []string{"fields.cuisine invalid_choice"}, ""},
		{"the hook's own error", `{"summary": "Soup"}`, []string{"fields.body too_few_items"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, ds, err := h.Save(t.Context(), sdktest.Save{Type: "recipe", Title: "Soup", Fields: tc.fields})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Path+" "+d.Code)
			}
			if !slices.Equal(got, tc.diags) {
				t.Errorf("diagnostics: got %q, want %q", got, tc.diags)
			}
			if tc.tags != "" {
				raw, _ := json.Marshal(v["tags"])
				if string(raw) != tc.tags || v["summary"] != "Soup" {
					t.Errorf("values: %v", v)
				}
			}
		})
	}
}

func seed(t *testing.T, h *sdktest.Harness) {
	t.Helper()
	add := func(title, cuisine string, live bool, minutes ...int) {
		var body []any
		for _, m := range minutes {
			body = append(body, map[string]any{"type": "step", "value": map[string]any{"text": "Do it.", "minutes": m}})
		}
		h.Store.Add(sdk.Entry{Type: "recipe", Title: title, Live: live, Fields: contenttypes.Values{
			"summary": title + "!", "cuisine": cuisine, "servings": 2, "tags": []any{"test"}, "body": body}})
	}
	add("Risotto", "italian", true, 10, 25)     // e1: 35 minutes
	add("Toast", "french", true, 3)             // e2: 3
	add("Pesto", "italian", true, 10, 5)        // e3: 15
	add("Secret Pasta", "italian", false, 1)    // e4: a draft, never listed
	add("Bread", "french", true, 60, 120, 45)   // e5: 225
	add("Omelette", "french", true, 5, 5, 5, 0) // e6: 15
}

func TestQuickRecipes(t *testing.T) {
	h := sdktest.New(t, newPlugin(), nil)
	seed(t, h)
	type item struct {
		Title        string `json:"title"`
		TotalMinutes int    `json:"total_minutes"`
	}
	cases := []struct {
		target string
		status int
		items  []string // title:minutes
		diags  []string // path code
	}{
		{target: "/recipes/quick?max_minutes=15", status: 200, items: []string{"Toast:3", "Omelette:15", "Pesto:15"}},
		{target: "/api/v1/recipes/quick?max_minutes=1000", status: 200, items: []string{"Toast:3", "Omelette:15", "Pesto:15", "Risotto:35", "Bread:225"}},
		{target: "/recipes/quick?max_minutes=40&cuisine=italian", status: 200, items: []string{"Pesto:15", "Risotto:35"}},
		{target: "/recipes/quick?max_minutes=2", status: 200, items: []string{}},
		{target: "/recipes/quick", status: 422, diags: []string{"max_minutes required"}},
		{target: "/recipes/quick?max_minutes=soon", status: 422, diags: []string{"max_minutes invalid_format"}},
		{target: "/recipes/quick?max_minutes=0", status: 422, diags: []string{"max_minutes out_of_range"}},
	}
	for _, tc := range cases {
		t.Run(tc.target, func(t *testing.T) {
			resp, err := h.Get(t.Context(), tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.status {
				t.Fatalf("status %d (%s %v), want %d", resp.Status, resp.Detail, resp.Diagnostics, tc.status)
			}
			var diags []string
			for _, d := range resp.Diagnostics {
				diags = append(diags, d.Path+" "+d.Code)
			}
			if !slices.Equal(diags, tc.diags) {
				t.Errorf("diagnostics: got %q, want %q", diags, tc.diags)
			}
			if tc.status != 200 {
				return
			}
			var body struct {
				Items []item `json:"items"`
			}
			if err := resp.Decode(&body); err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, it := range body.Items {
				got = append(got, it.Title+":"+strconv.Itoa(it.TotalMinutes))
			}
			if !slices.Equal(got, tc.items) {
				t.Errorf("items: got %q, want %q", got, tc.items)
			}
			if len(resp.CacheTags) != len(tc.items) {
				t.Errorf("cache tags %v for %d items", resp.CacheTags, len(tc.items))
			}
		})
	}
}

func TestQuickRecipesWithoutScope(t *testing.T) {
	h := sdktest.New(t, newPlugin(), &sdktest.Options{Scopes: []string{}})
	// The host refuses ListEntries; the endpoint returns that error, which
	// is a 500 for the client (a gRPC Internal error for the host).
	_, err := h.Get(t.Context(), "/recipes/quick?max_minutes=10")
	if err == nil || !strings.Contains(err.Error(), "Internal") || !strings.Contains(err.Error(), "entries:read") {
		t.Fatalf("got %v, want an internal error naming the missing scope", err)
	}
}

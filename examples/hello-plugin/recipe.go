package main

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// maxTotalMinutes bounds the total time of a recipe's steps.
const maxTotalMinutes = 24 * 60

// newPlugin declares the plugin. main serves it; the tests run it with
// sdktest.
func newPlugin() *sdk.Plugin {
	return &sdk.Plugin{
		Name:         "hello",
		Version:      "1.0.0",
		ContentTypes: []contenttypes.ContentType{recipeType()},
		Scopes:       []string{sdk.ScopeEntriesRead},
		BeforeSave:   []sdk.BeforeSaveHook{{Types: []string{"recipe"}, Func: normaliseRecipe}},
		Validate:     []sdk.ValidateHook{{Types: []string{"recipe"}, Func: validateRecipe}},
		Endpoints: []sdk.Endpoint{{
			Method:      "GET",
			Path:        "/recipes/quick",
			Summary:     "Quick recipes",
			Description: "Published recipes whose steps take at most max_minutes in total, quickest first.",
			Params: []sdk.Param{
				{Name: "max_minutes", Required: true, Description: "the longest total time, in minutes",
					Schema: map[string]any{"type": "integer", "minimum": 1}},
				{Name: "cuisine", Description: "only recipes of this cuisine",
					Schema: map[string]any{"type": "string", "enum": cuisines}},
			},
			ResponseSchema: quickSchema,
			CacheMaxAge:    time.Minute,
			Handle:         quickRecipes,
		}},
	}
}

var cuisines = []any{"italian", "french", "indian", "japanese", "mexican", "thai", "other"}

// recipeType is the content type. The recipe's name is the entry's title.
func recipeType() contenttypes.ContentType {
	zero, one := 0.0, 1.0
	maxSummary := 280
	var choices []contenttypes.Choice
	for _, c := range cuisines {
		choices = append(choices, contenttypes.Choice{Value: c.(string)})
	}
	return contenttypes.ContentType{
		Key:         "recipe",
		Label:       "Recipe",
		Description: "A recipe: a summary, how many it serves, and steps, tips and ingredients.",
		Fields: []contenttypes.Field{
			{Name: "summary", Label: "Summary", Kind: contenttypes.KindText, Required: true, MaxLength: &maxSummary},
			{Name: "servings", Label: "Servings", Kind: contenttypes.KindInteger, Indexed: true, Min: &one},
			{Name: "cuisine", Label: "Cuisine", Kind: contenttypes.KindSelect, Indexed: true, Choices: choices},
			{Name: "tags", Label: "Tags", Kind: contenttypes.KindTags, Indexed: true},
			{Name: "body", Label: "Method", Kind: contenttypes.KindStream, Children: []contenttypes.Field{
				{Name: "step", Label: "Step", Kind: contenttypes.KindStruct, Children: []contenttypes.Field{
					{Name: "text", Label: "What to do", Kind: contenttypes.KindRichText, Required: true},
					{Name: "minutes", Label: "Minutes", Kind: contenttypes.KindInteger, Min: &zero},
				}},
				{Name: "tip", Label: "Tip", Kind: contenttypes.KindRichText},
				{Name: "ingredients", Label: "Ingredients", Kind: contenttypes.KindList, Item: &contenttypes.Field{
					Name: "ingredient", Kind: contenttypes.KindStruct, Children: []contenttypes.Field{
						{Name: "name", Label: "Name", Kind: contenttypes.KindText, Required: true},
						{Name: "amount", Label: "Amount", Kind: contenttypes.KindText},
					},
				}},
			}},
		},
	}
}

// recipe is the Go shape of a recipe's values.
type recipe struct {
	Summary  string      `json:"summary"`
	Servings int         `json:"servings"`
	Cuisine  string      `json:"cuisine"`
	Tags     []string    `json:"tags"`
	Body     []sdk.Block `json:"body"`
}

// step is the value of a "step" block.
type step struct {
	Text    string `json:"text"`
	Minutes int    `json:"minutes"`
}

// normaliseRecipe (before_save) trims the summary and lowercases the tags,
// dropping the duplicates that lowercasing creates ("Quick", "quick"), so
// that filter[tags]=quick finds every quick recipe.
//
// Hooks see values the engine has already checked against the content
// type: the cuisine is one of the (lowercase) choices by now, the tags are
// trimmed and distinct. The engine checks the values this hook returns
// again.
func normaliseRecipe(_ context.Context, _ *sdk.Host, e *sdk.SaveEvent) (contenttypes.Values, contenttypes.Diagnostics) {
	if s, ok := e.Fields["summary"].(string); ok {
		e.Fields["summary"] = strings.TrimSpace(s)
	}
	if tags, ok := e.Fields["tags"].([]any); ok {
		out := make([]any, 0, len(tags))
		for _, t := range tags {
			if s, ok := t.(string); ok {
				t = strings.ToLower(s)
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
		e.Fields["tags"] = out
	}
	return e.Fields, nil
}

// validateRecipe (validate) requires at least one step and at most 24
// hours of steps in total. The values are prepared, so every block has an
// id and the diagnostics address blocks by id.
func validateRecipe(_ context.Context, _ *sdk.Host, e *sdk.SaveEvent) contenttypes.Diagnostics {
	var r recipe
	if err := e.Decode(&r); err != nil {
		return nil
	}
	var diags contenttypes.Diagnostics
	steps, total := 0, 0
	for i, b := range r.Body {
		if b.Type != "step" {
			continue
		}
		steps++
		var s step
		if err := b.Decode(&s); err != nil {
			continue
		}
		before := total
		total += s.Minutes
		if before <= maxTotalMinutes && total > maxTotalMinutes {
			diags.AppendErrorf(sdk.BlockPath("fields.body", i, b.ID)+".value.minutes", contenttypes.CodeOutOfRange,
				"the steps add up to more than 24 hours (%d minutes with this step)", total)
		}
	}
	if steps == 0 {
		diags.AppendError("fields.body", contenttypes.CodeTooFewItems, "a recipe needs at least one step")
	}
	return diags
}

// totalMinutes adds up the minutes of a recipe's steps.
func (r *recipe) totalMinutes() int {
	total := 0
	for _, b := range r.Body {
		var s step
		if b.Type == "step" && b.Decode(&s) == nil {
			total += s.Minutes
		}
	}
	return total
}

// quickRecipe is an item of the /recipes/quick response.
type quickRecipe struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Slug         string   `json:"slug"`
	Summary      string   `json:"summary"`
	Cuisine      string   `json:"cuisine,omitempty"`
	Servings     int      `json:"servings,omitempty"`
	Tags         []string `json:"tags"`
	TotalMinutes int      `json:"total_minutes"`
}

var quickSchema = map[string]any{
	"type":     "object",
	"required": []any{"max_minutes", "items"},
	"properties": map[string]any{
		"max_minutes": map[string]any{"type": "integer"},
		"items": map[string]any{
			"type": "array",
			"items": map[string]any{
				"type":     "object",
				"required": []any{"id", "title", "slug", "summary", "tags", "total_minutes"},
				"properties": map[string]any{
					"id":            map[string]any{"type": "string"},
					"title":         map[string]any{"type": "string"},
					"slug":          map[string]any{"type": "string"},
					"summary":       map[string]any{"type": "string"},
					"cuisine":       map[string]any{"type": "string"},
					"servings":      map[string]any{"type": "integer"},
					"tags":          map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
					"total_minutes": map[string]any{"type": "integer"},
				},
			},
		},
	},
}

// quickRecipes serves GET /api/v1/recipes/quick?max_minutes=N[&cuisine=C]
// from the published recipes (scope entries:read).
func quickRecipes(ctx context.Context, h *sdk.Host, r *sdk.Request) (*sdk.Response, error) {
	maxMinutes, err := r.QueryInt("max_minutes", 0)
	if err != nil {
		return nil, err // a 422 naming max_minutes
	}
	if maxMinutes < 1 {
		var diags contenttypes.Diagnostics
		diags.AppendErrorf("max_minutes", contenttypes.CodeOutOfRange, "expected at least 1, got %d", maxMinutes)
		return nil, sdk.Invalid(diags)
	}
	params := sdk.ListParams{Type: "recipe", Published: true, Limit: 100}
	if c := r.QueryParam("cuisine", ""); c != "" {
		params.Filters = map[string]string{"cuisine": c} // cuisine is indexed
	}
	items := []quickRecipe{}
	var tags []string
	for e, err := range h.Entries(ctx, params) {
		if err != nil {
			return nil, err
		}
		var rec recipe
		if err := e.Decode(&rec); err != nil {
			return nil, err
		}
		total := rec.totalMinutes()
		if int64(total) > maxMinutes {
			continue
		}
		if rec.Tags == nil {
			rec.Tags = []string{}
		}
		items = append(items, quickRecipe{
			ID: e.ID, Title: e.Title, Slug: e.Slug, Summary: rec.Summary, Cuisine: rec.Cuisine,
			Servings: rec.Servings, Tags: rec.Tags, TotalMinutes: total,
		})
		tags = append(tags, e.ID)
	}
	slices.SortStableFunc(items, func(a, b quickRecipe) int {
		return cmp.Or(cmp.Compare(a.TotalMinutes, b.TotalMinutes), cmp.Compare(a.Title, b.Title))
	})
	// The response changes when one of these recipes changes; a newly
	// published quick recipe shows up when the cached response expires
	// (CacheMaxAge).
	return sdk.OK(map[string]any{"max_minutes": maxMinutes, "items": items}, tags...), nil
}

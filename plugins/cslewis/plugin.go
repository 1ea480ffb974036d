package cslewis

import (
	"context"
	"errors"
	"fmt"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// Version of the plugin.
const Version = "0.1.0"

// Plugin declares the C.S. Lewis plugin.
func Plugin() *sdk.Plugin {
	return &sdk.Plugin{
		Name:         "cslewis",
		Version:      Version,
		ContentTypes: []contenttypes.ContentType{workType(), passageType(), dailyDropType(), articleType()},
		Scopes:       []string{sdk.ScopeEntriesRead},
		Validate:     []sdk.ValidateHook{{Types: []string{"daily_drop"}, Func: validateDrop}},
		Endpoints:    []sdk.Endpoint{todayEndpoint(), relatedEndpoint(), workEndpoint()},
		TaskKinds: []sdk.TaskKind{{Name: "tags_reviewed", Label: "Tags reviewed",
			Description: "Passes a passage on once an editor has reviewed its (AI-drafted) tags.", Run: tagsReviewed}},
	}
}

// tagsReviewed is a workflow task (cslewis.tags_reviewed): a passage goes
// to human review only once an editor has reviewed its drafted tags, as the
// customer's flow requires before publishing.
func tagsReviewed(_ context.Context, _ *sdk.Host, t *sdk.TaskRun) (sdk.TaskDecision, error) {
	if t.Entry.Type != "passage" {
		return sdk.TaskDecision{Outcome: sdk.TaskApprove, Comment: "not a passage"}, nil
	}
	review, _ := t.Entry.Fields["tag_review"].(map[string]any)
	if status, _ := review["status"].(string); status == "reviewed" {
		return sdk.TaskDecision{Outcome: sdk.TaskApprove, Comment: "tags reviewed"}, nil
	}
	return sdk.TaskDecision{Outcome: sdk.TaskRequestChanges,
		Comment: "review the drafted tags (set tag review status to reviewed) and submit again"}, nil
}

// validateDrop keeps daily drops unique per (date, register) among
// published drops: the app shows one passage per register per day.
func validateDrop(ctx context.Context, h *sdk.Host, e *sdk.SaveEvent) contenttypes.Diagnostics {
	date, _ := e.Fields["date"].(string)
	register, _ := e.Fields["register"].(string)
	if date == "" || register == "" {
		return nil // required fields are checked by the engine
	}
	list, err := h.ListEntries(ctx, sdk.ListParams{Type: "daily_drop", Published: true, Limit: 5,
		Filters: map[string]string{"date": date, "register": register}})
	if err != nil {
		var diags contenttypes.Diagnostics
		if errors.Is(err, sdk.ErrUnavailable) {
			diags.AppendError("fields.date", "unavailable", "could not check for another drop on this date; try again")
			return diags
		}
		diags.AppendErrorf("fields.date", "internal", "could not check for another drop on this date: %v", err)
		return diags
	}
	for _, other := range list.Entries {
		if other.ID != e.EntryID {
			var diags contenttypes.Diagnostics
			diags.AppendError("fields.date", "duplicate_drop",
				fmt.Sprintf("%s already has a published %s drop (%q); unpublish it or pick another date", date, register, other.Title))
			return diags
		}
	}
	return nil
}

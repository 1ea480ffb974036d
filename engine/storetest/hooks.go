package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/store"
)

// shoutingHooks is a Hooks implementation for the suite: it upper-cases the
// author (a transform), rejects years before 1800 (a validation) and counts
// calls.
type shoutingHooks struct{ calls int }

func (h *shoutingHooks) BeforeSave(_ context.Context, in entries.HookInput) (json.RawMessage, contenttypes.Diagnostics, error) {
	h.calls++
	v, err := contenttypes.DecodeValues(in.Fields)
	if err != nil {
		return nil, nil, err
	}
	var diags contenttypes.Diagnostics
	if y, ok := v["year"].(json.Number); ok {
		if n, _ := y.Int64(); n < 1800 {
			diags.AppendError("fields.year", "too_early", "the catalogue starts in 1800")
		}
	}
	if a, ok := v["author"].(string); ok {
		v["author"] = strings.ToUpper(a)
		b, err := json.Marshal(v)
		return b, diags, err
	}
	return nil, diags, nil
}

// ExerciseHooks checks that save hooks transform and validate on create and
// save, and that a refusal writes nothing.
func ExerciseHooks(t *testing.T, open func(testing.TB) *store.DB) {
	h := &shoutingHooks{}
	env := NewEnvWith(t, open(t), &entries.Options{Hooks: h})
	ctx := context.Background()
	mustRegister(t, env, bookType())
	d := createBook(t, env, "Phantastes", map[string]any{"author": "macdonald", "year": 1858})
	if !strings.Contains(string(d.Revision.Fields), `"MACDONALD"`) {
		t.Fatalf("before_save transform not stored: %s", d.Revision.Fields)
	}
	before := count(t, env.DB, "revisions")
	_, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Fields: raw(t, map[string]any{"year": 1700})})
	wantCode(t, err, apperr.Invalid)
	wantDiag(t, err, "fields.year")
	if n := count(t, env.DB, "revisions"); n != before {
		t.Fatalf("a refused save wrote a revision")
	}
	if h.calls != 2 {
		t.Fatalf("hooks called %d times, want 2", h.calls)
	}
}

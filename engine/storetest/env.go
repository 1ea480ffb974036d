package storetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/alexedwards/argon2id"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/workflow"
)

// Env is a set of services on one database.
type Env struct {
	DB       *store.DB
	Types    *registry.Registry
	Auth     *auth.Service
	Entries  *entries.Service
	Delivery *delivery.Service
	Workflow *workflow.Service
}

// CheapArgon2 makes password hashing fast in tests.
var CheapArgon2 = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// NewEnv wires the services on db.
func NewEnv(t testing.TB, db *store.DB) *Env { return NewEnvWith(t, db, nil) }

// NewEnvWith wires the services on db with entries options (hooks, events).
func NewEnvWith(t testing.TB, db *store.DB, opts *entries.Options) *Env {
	t.Helper()
	types := registry.New(db)
	if err := types.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := auth.New(db, &auth.Options{Argon2: CheapArgon2})
	wf := workflow.New(db, a, nil)
	if opts == nil {
		opts = &entries.Options{}
	}
	if opts.PublishGate == nil {
		opts.PublishGate = wf
	}
	return &Env{DB: db, Types: types, Auth: a, Entries: entries.New(db, types, a, opts), Delivery: delivery.New(db, types), Workflow: wf}
}

var (
	admin    = auth.Principal{Kind: auth.KindToken, ID: "tok-admin", Role: auth.RoleAdmin}
	editor   = auth.Principal{Kind: auth.KindToken, ID: "tok-editor", Role: auth.RoleEditor}
	reviewer = auth.Principal{Kind: auth.KindToken, ID: "tok-reviewer", Role: auth.RoleReviewer}
)

func intp(n int) *int { return &n }

// bookType is a flat collection with indexed fields of every sortable kind.
func bookType() contenttypes.ContentType {
	return contenttypes.ContentType{Key: "book", Label: "Book", Fields: []contenttypes.Field{
		{Name: "year", Kind: contenttypes.KindInteger, Indexed: true},
		{Name: "price", Kind: contenttypes.KindDecimal, Indexed: true},
		{Name: "author", Kind: contenttypes.KindText, Indexed: true},
		{Name: "released", Kind: contenttypes.KindDate, Indexed: true},
		{Name: "audio", Kind: contenttypes.KindBoolean, Indexed: true},
		{Name: "motifs", Kind: contenttypes.KindTags, Indexed: true},
		{Name: "series", Kind: contenttypes.KindReference, AllowedTypes: []string{"book"}, Indexed: true},
		{Name: "blurb", Kind: contenttypes.KindRichText},
		{Name: "body", Kind: contenttypes.KindStream, Children: []contenttypes.Field{
			{Name: "para", Kind: contenttypes.KindRichText},
			{Name: "quote", Kind: contenttypes.KindStruct, Children: []contenttypes.Field{
				{Name: "text", Kind: contenttypes.KindText, Required: true},
				{Name: "caption", Kind: contenttypes.KindText, MaxLength: intp(20)},
			}},
		}},
	}}
}

// pageType is a page type for the tree.
func pageType() contenttypes.ContentType {
	return contenttypes.ContentType{Key: "page", Label: "Page", IsPage: true, Fields: []contenttypes.Field{
		{Name: "intro", Kind: contenttypes.KindLongText},
	}}
}

func mustRegister(t testing.TB, env *Env, ct contenttypes.ContentType) {
	t.Helper()
	if _, err := env.Types.Register(context.Background(), ct, nil); err != nil {
		t.Fatalf("register %s: %v", ct.Key, err)
	}
}

func raw(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func count(t testing.TB, db *store.DB, table string) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr(table).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func entriesCreate(typ, title string, fields map[string]any) entries.CreateInput {
	b, _ := json.Marshal(fields)
	return entries.CreateInput{Type: typ, Title: title, Fields: b}
}

func mustJSONString(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
)

// Exercise runs the conformance suite; open returns a fresh, migrated
// database for each subtest.
func Exercise(t *testing.T, open func(testing.TB) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, env *Env)
	}{
		{"Registry", testRegistry},
		{"CreateSaveRevisions", testCreateSaveRevisions},
		{"DraftAfterPublishIsInvisible", testDraftAfterPublish},
		{"InvalidSaveWritesNothing", testInvalidSaveWritesNothing},
		{"References", testReferences},
		{"Tree", testTree},
		{"Permissions", testPermissions},
		{"DeliveryQueries", testDeliveryQueries},
		{"ConcurrentSaves", testConcurrentSaves},
		{"Audit", testAudit},
		{"LockAutosaveRevertDiff", testLockAutosaveRevertDiff},
		{"Workflow", testWorkflow},
		{"Changes", testChanges},
		{"Search", testSearch},
		{"PrivateFields", testPrivateFields},
		{"Items", testItems},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, NewEnv(t, open(t)))
		})
	}
}

func wantCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("err = %v (code %q), want code %q", err, apperr.CodeOf(err), code)
	}
	e, _ := apperr.As(err)
	return e
}

func wantDiag(t *testing.T, err error, path string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v, want diagnostics", err)
	}
	for _, d := range e.Diagnostics {
		if d.Path == path {
			return
		}
	}
	t.Fatalf("no diagnostic at %q in %v", path, e.Diagnostics)
}

func testRegistry(t *testing.T, env *Env) {
	ctx := context.Background()
	ct := bookType()
	res, err := env.Types.Register(ctx, ct, &registry.RegisterOptions{Source: "books"})
	if err != nil || !res.Created || res.Type.Version != 1 {
		t.Fatalf("first register: %+v %v", res, err)
	}
	res, err = env.Types.Register(ctx, ct, &registry.RegisterOptions{Source: "books"})
	if err != nil || res.Changed {
		t.Fatalf("same definition changed: %+v %v", res, err)
	}
	ct.Fields = append(ct.Fields, contenttypes.Field{Name: "subtitle", Kind: contenttypes.KindText})
	res, err = env.Types.Register(ctx, ct, &registry.RegisterOptions{Source: "books"})
	if err != nil || !res.Changed || res.Type.Version != 2 {
		t.Fatalf("additive change: %+v %v", res, err)
	}
	ct.Fields = ct.Fields[1:] // drop "year"
	_, err = env.Types.Register(ctx, ct, &registry.RegisterOptions{Source: "books"})
	if e := wantCode(t, err, apperr.Conflict); !strings.Contains(e.Message, "year") {
		t.Fatalf("destructive refusal does not name the field: %v", e)
	}
	_, err = env.Types.Register(ctx, bookType(), &registry.RegisterOptions{Source: "other"})
	wantCode(t, err, apperr.Conflict)
	bad := contenttypes.ContentType{Key: "Bad Key", Label: ""}
	_, err = env.Types.Register(ctx, bad, nil)
	wantCode(t, err, apperr.Invalid)
	// A fresh registry (another instance) sees the stored version.
	other := registry.New(env.DB)
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := other.Get(ctx, "book")
	if err != nil || got.Version != 2 || got.Hash == "" {
		t.Fatalf("reloaded type: %+v %v", got, err)
	}
	if _, err := other.Get(ctx, "nope"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("unknown type: %v", err)
	}
}

func createBook(t *testing.T, env *Env, title string, fields map[string]any) *entries.Draft {
	t.Helper()
	d, err := env.Entries.Create(context.Background(), editor, entries.CreateInput{Type: "book", Title: title, Fields: raw(t, fields)})
	if err != nil {
		t.Fatalf("create %s: %v", title, err)
	}
	return d
}

func publish(t *testing.T, env *Env, id string) *entries.Draft {
	t.Helper()
	d, err := env.Entries.Publish(context.Background(), editor, id, entries.PublishInput{})
	if err != nil {
		t.Fatalf("publish %s: %v", id, err)
	}
	return d
}

func testCreateSaveRevisions(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	d := createBook(t, env, "The Great Divorce", map[string]any{"year": 1945,
		"body": []any{map[string]any{"type": "para", "value": "A bus ride."}}})
	if d.Slug != "the-great-divorce" || d.Revision.Number != 1 || d.Live || !d.HasUnpublishedChanges {
		t.Fatalf("created: %+v rev %+v", d.Entry, d.Revision)
	}
	var vals map[string]any
	if err := json.Unmarshal(d.Revision.Fields, &vals); err != nil {
		t.Fatal(err)
	}
	blockID := vals["body"].([]any)[0].(map[string]any)["id"].(string)
	if blockID == "" {
		t.Fatal("block id not assigned")
	}
	title := "The Great Divorce (1945)"
	d2, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Title: &title, BaseRevisionID: d.Revision.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d2.Revision.Number != 2 || d2.Title != title || d2.Slug != "the-great-divorce" {
		t.Fatalf("saved: %+v", d2.Revision)
	}
	// The block id survives a save that resends the stored values.
	if !strings.Contains(string(d2.Revision.Fields), blockID) {
		t.Fatalf("block id changed: %s", d2.Revision.Fields)
	}
	_, err = env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Title: &title, BaseRevisionID: d.Revision.ID})
	wantCode(t, err, apperr.Conflict)
	revs, err := env.Entries.Revisions(ctx, editor, d.ID)
	if err != nil || len(revs) != 2 || revs[0].Number != 2 || revs[1].Number != 1 {
		t.Fatalf("revisions: %+v %v", revs, err)
	}
	r1, err := env.Entries.Revision(ctx, editor, d.ID, revs[1].ID)
	if err != nil || r1.Title != "The Great Divorce" {
		t.Fatalf("revision 1: %+v %v", r1, err)
	}
	got, err := env.Entries.Get(ctx, editor, d.ID)
	if err != nil || got.Revision.ID != d2.Revision.ID {
		t.Fatalf("get: %+v %v", got, err)
	}
	// A second entry with the same title gets a slug conflict.
	_, err = env.Entries.Create(ctx, editor, entries.CreateInput{Type: "book", Title: "The Great Divorce"})
	wantCode(t, err, apperr.Conflict)
	wantDiag(t, err, "slug")
	if err := env.Entries.Delete(ctx, editor, d.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, env.DB, "revisions"); n != 0 {
		t.Fatalf("revisions left after delete: %d", n)
	}
	_, err = env.Entries.Get(ctx, editor, d.ID)
	wantCode(t, err, apperr.NotFound)
}

func deliveredTitle(t *testing.T, env *Env, idOrSlug string) string {
	t.Helper()
	it, err := env.Delivery.Get(context.Background(), delivery.GetQuery{Type: "book", IDOrSlug: idOrSlug})
	if err != nil {
		t.Fatalf("delivery get %s: %v", idOrSlug, err)
	}
	return it.Title
}

func testDraftAfterPublish(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	d := createBook(t, env, "Perelandra", map[string]any{"year": 1943, "blurb": "Venus **awaits**"})
	if _, err := env.Delivery.Get(ctx, delivery.GetQuery{Type: "book", IDOrSlug: d.ID}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("draft visible before publish: %v", err)
	}
	p := publish(t, env, d.ID)
	if !p.Live || p.HasUnpublishedChanges || p.FirstPublishedAt == nil {
		t.Fatalf("published: %+v", p.Entry)
	}
	it, err := env.Delivery.Get(ctx, delivery.GetQuery{Type: "book", IDOrSlug: "perelandra"})
	if err != nil || !strings.Contains(string(it.Fields), "<strong>awaits</strong>") {
		t.Fatalf("delivered: %s %v", it.Fields, err)
	}
	title, slug := "Perelandra (draft)", "voyage-to-venus"
	s, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Title: &title, Slug: &slug, Fields: raw(t, map[string]any{"year": 1944})})
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasUnpublishedChanges || s.Title != "Perelandra" || s.DraftTitle != title {
		t.Fatalf("after draft save: %+v", s.Entry)
	}
	if got := deliveredTitle(t, env, "perelandra"); got != "Perelandra" {
		t.Fatalf("delivery changed by a draft: %q", got)
	}
	page, err := env.Delivery.List(ctx, delivery.ListQuery{Type: "book", Filters: []delivery.Filter{{Field: "year", Op: "eq", Value: "1944"}}})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("draft value leaked into the index: %+v %v", page, err)
	}
	publish(t, env, d.ID)
	if got := deliveredTitle(t, env, "voyage-to-venus"); got != title {
		t.Fatalf("after republish: %q", got)
	}
	if _, err := env.Delivery.Get(ctx, delivery.GetQuery{Type: "book", IDOrSlug: "perelandra"}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("old slug still served: %v", err)
	}
	// Publishing an older revision reverts what is live and leaves the
	// latest draft pending.
	revs, _ := env.Entries.Revisions(ctx, editor, d.ID)
	old, err := env.Entries.Publish(ctx, editor, d.ID, entries.PublishInput{RevisionID: revs[len(revs)-1].ID})
	if err != nil || !old.HasUnpublishedChanges {
		t.Fatalf("publish old revision: %+v %v", old, err)
	}
	if got := deliveredTitle(t, env, d.ID); got != "Perelandra" {
		t.Fatalf("old revision not live: %q", got)
	}
	if _, err := env.Entries.Unpublish(ctx, editor, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Delivery.Get(ctx, delivery.GetQuery{Type: "book", IDOrSlug: d.ID}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("unpublished entry still served: %v", err)
	}
	if n := count(t, env.DB, "entry_index"); n != 0 {
		t.Fatalf("index rows left after unpublish: %d", n)
	}
	_, err = env.Entries.Unpublish(ctx, editor, d.ID)
	wantCode(t, err, apperr.Conflict)
}

func testInvalidSaveWritesNothing(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	d := createBook(t, env, "Till We Have Faces", map[string]any{"year": 1956})
	publish(t, env, d.ID)
	tables := []string{"entries", "revisions", "audit_log", "entry_index"}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = count(t, env.DB, tb)
	}
	bad := []struct {
		name string
		do   func() error
		path string
	}{
		{"wrong type", func() error {
			_, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Fields: raw(t, map[string]any{"year": "soon"})})
			return err
		}, "fields.year"},
		{"nested block", func() error {
			_, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Fields: raw(t, map[string]any{"body": []any{
				map[string]any{"type": "quote", "id": "q1", "value": map[string]any{"text": "x", "caption": strings.Repeat("c", 30)}}}})})
			return err
		}, "fields.body[q1].value.caption"},
		{"missing required member", func() error {
			_, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Fields: raw(t, map[string]any{"body": []any{
				map[string]any{"type": "quote", "id": "q2", "value": map[string]any{}}}})})
			return err
		}, "fields.body[q2].value.text"},
		{"unknown field", func() error {
			_, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Fields: raw(t, map[string]any{"nope": 1})})
			return err
		}, "fields.nope"},
		{"bad slug", func() error {
			s := "Not A Slug"
			_, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Slug: &s})
			return err
		}, "slug"},
		{"empty title on create", func() error {
			_, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "book"})
			return err
		}, "title"},
		{"unknown type", func() error {
			_, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "nope", Title: "x"})
			return err
		}, "type"},
	}
	for _, b := range bad {
		err := b.do()
		wantCode(t, err, apperr.Invalid)
		wantDiag(t, err, b.path)
	}
	for _, tb := range tables {
		if n := count(t, env.DB, tb); n != before[tb] {
			t.Errorf("%s: %d rows after invalid saves, want %d", tb, n, before[tb])
		}
	}
}

func testReferences(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	mustRegister(t, env, pageType())
	series := createBook(t, env, "Space Trilogy", nil)
	pg, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "page", Title: "Home"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.Entries.Create(ctx, editor, entries.CreateInput{Type: "book", Title: "A", Fields: raw(t, map[string]any{"series": "missing-id"})})
	wantDiag(t, err, "fields.series")
	_, err = env.Entries.Create(ctx, editor, entries.CreateInput{Type: "book", Title: "B", Fields: raw(t, map[string]any{"series": pg.ID})})
	wantDiag(t, err, "fields.series")
	d := createBook(t, env, "Out of the Silent Planet", map[string]any{"series": series.ID})
	publish(t, env, d.ID)
	// The referenced entry is not live: expand gives null.
	it, err := env.Delivery.Get(ctx, delivery.GetQuery{Type: "book", IDOrSlug: d.ID, Expand: []string{"series"}})
	if err != nil || !strings.Contains(string(it.Fields), `"series":null`) {
		t.Fatalf("expand of a draft: %s %v", it.Fields, err)
	}
	publish(t, env, series.ID)
	it, err = env.Delivery.Get(ctx, delivery.GetQuery{Type: "book", IDOrSlug: d.ID, Expand: []string{"series"}, Fields: []string{"year"}})
	if err != nil || !strings.Contains(string(it.Fields), `"title":"Space Trilogy"`) {
		t.Fatalf("expand: %s %v", it.Fields, err)
	}
	_, err = env.Delivery.Get(ctx, delivery.GetQuery{Type: "book", IDOrSlug: d.ID, Expand: []string{"year"}})
	wantDiag(t, err, "expand")
}

func testTree(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, pageType())
	mustRegister(t, env, bookType())
	mk := func(title string, parent string) *entries.Draft {
		t.Helper()
		in := entries.CreateInput{Type: "page", Title: title}
		if parent != "" {
			in.ParentID = &parent
		}
		d, err := env.Entries.Create(ctx, editor, in)
		if err != nil {
			t.Fatalf("create %s: %v", title, err)
		}
		return d
	}
	home := mk("Home", "")
	about := mk("About", "")
	books := mk("Books", home.ID)
	narnia := mk("Narnia", books.ID)
	if *narnia.URLPath != "/home/books/narnia/" || narnia.Depth != 3 {
		t.Fatalf("narnia: %v depth %d", *narnia.URLPath, narnia.Depth)
	}
	// Same slug under another parent is fine; under the same parent not.
	mk("Narnia", about.ID)
	_, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "page", Title: "Narnia", ParentID: &books.ID})
	wantCode(t, err, apperr.Conflict)
	// Non-pages have no parent; pages cannot hang under non-pages.
	bk := createBook(t, env, "Book", nil)
	_, err = env.Entries.Create(ctx, editor, entries.CreateInput{Type: "book", Title: "C", ParentID: &home.ID})
	wantDiag(t, err, "parent_id")
	_, err = env.Entries.Create(ctx, editor, entries.CreateInput{Type: "page", Title: "D", ParentID: &bk.ID})
	wantDiag(t, err, "parent_id")
	// Move Books under About: the subtree follows.
	pos := 0
	moved, err := env.Entries.Move(ctx, editor, books.ID, entries.MoveInput{ParentID: &about.ID, Position: &pos})
	if err != nil || *moved.URLPath != "/about/books/" || moved.SortOrder != 0 {
		t.Fatalf("move: %+v %v", moved, err)
	}
	n, err := env.Entries.Get(ctx, editor, narnia.ID)
	if err != nil || *n.URLPath != "/about/books/narnia/" || n.Depth != 3 {
		t.Fatalf("descendant after move: %+v %v", n.Entry, err)
	}
	_, err = env.Entries.Move(ctx, editor, books.ID, entries.MoveInput{ParentID: &narnia.ID})
	wantDiag(t, err, "parent_id")
	// A slug change of an unpublished page renames its subtree.
	slug := "library"
	if _, err := env.Entries.Save(ctx, editor, books.ID, entries.SaveInput{Slug: &slug}); err != nil {
		t.Fatal(err)
	}
	n, _ = env.Entries.Get(ctx, editor, narnia.ID)
	if *n.URLPath != "/about/library/narnia/" {
		t.Fatalf("after rename: %s", *n.URLPath)
	}
	err = env.Entries.Delete(ctx, editor, books.ID)
	wantCode(t, err, apperr.Conflict)
	_, err = env.Entries.Move(ctx, editor, bk.ID, entries.MoveInput{})
	wantCode(t, err, apperr.Invalid)
	// Children are listed in order.
	kids, err := env.Entries.List(ctx, editor, entries.ListParams{Type: "page", Parent: about.ID})
	if err != nil || len(kids) != 2 {
		t.Fatalf("children: %v %v", kids, err)
	}
}

func testPermissions(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	mustRegister(t, env, pageType())
	_, err := env.Entries.Create(ctx, reviewer, entries.CreateInput{Type: "book", Title: "R"})
	wantCode(t, err, apperr.Forbidden)
	d := createBook(t, env, "E", nil)
	if _, err := env.Entries.Get(ctx, reviewer, d.ID); err != nil {
		t.Fatalf("reviewer read: %v", err)
	}
	// Restrict editors' publishing to pages only.
	if err := env.Auth.SetGrant(ctx, auth.Grant{Role: auth.RoleEditor, Action: auth.ActEntriesPublish, TypeKey: "*"}, false); err != nil {
		t.Fatal(err)
	}
	if err := env.Auth.SetGrant(ctx, auth.Grant{Role: auth.RoleEditor, Action: auth.ActEntriesPublish, TypeKey: "page"}, true); err != nil {
		t.Fatal(err)
	}
	_, err = env.Entries.Publish(ctx, editor, d.ID, entries.PublishInput{})
	wantCode(t, err, apperr.Forbidden)
	pg, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "page", Title: "P"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Entries.Publish(ctx, editor, pg.ID, entries.PublishInput{}); err != nil {
		t.Fatalf("editor publishing a page: %v", err)
	}
	if _, err := env.Entries.Publish(ctx, admin, d.ID, entries.PublishInput{}); err != nil {
		t.Fatalf("admin publish: %v", err)
	}
	err = env.Auth.SetGrant(ctx, auth.Grant{Role: auth.RoleAdmin, Action: auth.ActEntriesPublish}, false)
	wantCode(t, err, apperr.Invalid)
	// Users and tokens.
	u, err := env.Auth.CreateUser(ctx, "jack@example.org", "correct horse battery", auth.RoleEditor)
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.Auth.CreateUser(ctx, "JACK@example.org", "correct horse battery", auth.RoleEditor)
	wantCode(t, err, apperr.Conflict)
	_, err = env.Auth.CreateUser(ctx, "x@example.org", "short", auth.RoleEditor)
	wantCode(t, err, apperr.Invalid)
	if _, err := env.Auth.Authenticate(ctx, "Jack@Example.org", "correct horse battery"); err != nil {
		t.Fatalf("login: %v", err)
	}
	_, err = env.Auth.Authenticate(ctx, "jack@example.org", "wrong password!")
	wantCode(t, err, apperr.Unauthorized)
	tok, plain, err := env.Auth.CreateToken(ctx, auth.TokenInput{Name: "ci", Role: auth.RoleEditor, UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := env.DB.NewSelect().Table("api_tokens").Column("token_hash").Where("id = ?", tok.ID).Scan(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	if stored == plain || strings.Contains(stored, plain[4:]) {
		t.Fatal("token stored in plaintext")
	}
	p, err := env.Auth.VerifyToken(ctx, plain)
	if err != nil || p.Role != auth.RoleEditor || p.UserID != u.ID {
		t.Fatalf("verify: %+v %v", p, err)
	}
	if err := env.Auth.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = env.Auth.VerifyToken(ctx, plain)
	wantCode(t, err, apperr.Unauthorized)
}

// testDeliveryQueries publishes random books and checks filters, sorts and
// cursor pagination against the same computation done in Go.
func testDeliveryQueries(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	rng := rand.New(rand.NewPCG(1, 2))
	type book struct {
		id     string
		year   *int
		author *string
		motifs []string
	}
	var books []book
	authors := []string{"Lewis", "MacDonald", "Tolkien", "Williams"}
	motifs := []string{"joy", "longing", "myth", "grief", "reason"}
	for i := 0; i < 23; i++ {
		f := map[string]any{}
		b := book{}
		if rng.IntN(4) > 0 { // some books have no year: they sort last
			y := 1900 + rng.IntN(6) // many ties
			b.year = &y
			f["year"] = y
		}
		if rng.IntN(5) > 0 {
			a := authors[rng.IntN(len(authors))]
			b.author = &a
			f["author"] = a
		}
		for _, m := range motifs {
			if rng.IntN(3) == 0 {
				b.motifs = append(b.motifs, m)
			}
		}
		if len(b.motifs) > 0 {
			f["motifs"] = b.motifs
		}
		d := createBook(t, env, fmt.Sprintf("Book %02d", i), f)
		b.id = d.ID
		if i%7 != 3 { // a few stay drafts
			publish(t, env, d.ID)
			books = append(books, b)
		}
	}
	walk := func(lq delivery.ListQuery) []string {
		t.Helper()
		var ids []string
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("pagination does not end")
			}
			p, err := env.Delivery.List(ctx, lq)
			if err != nil {
				t.Fatalf("list %+v: %v", lq, err)
			}
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			if p.NextCursor == nil {
				return ids
			}
			lq.Cursor = *p.NextCursor
		}
	}
	cmpNullable := func(a, b *int, desc bool) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return 1
		case b == nil:
			return -1
		case desc:
			return *b - *a
		default:
			return *a - *b
		}
	}
	for _, desc := range []bool{false, true} {
		want := append([]book(nil), books...)
		sort.SliceStable(want, func(i, j int) bool {
			if c := cmpNullable(want[i].year, want[j].year, desc); c != 0 {
				return c < 0
			}
			if desc {
				return want[i].id > want[j].id
			}
			return want[i].id < want[j].id
		})
		sortArg := "year"
		if desc {
			sortArg = "-year"
		}
		for _, limit := range []int{1, 2, 5, 100} {
			got := walk(delivery.ListQuery{Type: "book", Sort: sortArg, Limit: limit})
			if len(got) != len(want) {
				t.Fatalf("sort %s limit %d: %d items, want %d", sortArg, limit, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i].id {
					t.Fatalf("sort %s limit %d: item %d = %s, want %s", sortArg, limit, i, got[i], want[i].id)
				}
			}
		}
	}
	// Built-in sorts paginate completely too.
	for _, s := range []string{"title", "-title", "id", "published_at", "-first_published_at", "author", "-author"} {
		got := walk(delivery.ListQuery{Type: "book", Sort: s, Limit: 3})
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("sort %s: %s twice", s, id)
			}
			seen[id] = true
		}
		if len(got) != len(books) {
			t.Fatalf("sort %s: %d items, want %d", s, len(got), len(books))
		}
	}
	// Filters against the same predicate in Go.
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	filters := []struct {
		f    []delivery.Filter
		keep func(b book) bool
	}{
		{[]delivery.Filter{{Field: "year", Op: "gte", Value: "1903"}}, func(b book) bool { return b.year != nil && *b.year >= 1903 }},
		{[]delivery.Filter{{Field: "year", Op: "lt", Value: "1902"}}, func(b book) bool { return b.year != nil && *b.year < 1902 }},
		{[]delivery.Filter{{Field: "year", Op: "in", Value: "1900,1905"}}, func(b book) bool { return b.year != nil && (*b.year == 1900 || *b.year == 1905) }},
		{[]delivery.Filter{{Field: "author", Op: "eq", Value: "Lewis"}}, func(b book) bool { return b.author != nil && *b.author == "Lewis" }},
		{[]delivery.Filter{{Field: "author", Op: "ne", Value: "Lewis"}}, func(b book) bool { return b.author == nil || *b.author != "Lewis" }},
		{[]delivery.Filter{{Field: "motifs", Op: "eq", Value: "joy"}}, func(b book) bool { return has(b.motifs, "joy") }},
		{[]delivery.Filter{{Field: "motifs", Op: "in", Value: "grief,myth"}}, func(b book) bool { return has(b.motifs, "grief") || has(b.motifs, "myth") }},
		{[]delivery.Filter{{Field: "motifs", Op: "eq", Value: "joy"}, {Field: "year", Op: "lte", Value: "1902"}},
			func(b book) bool { return has(b.motifs, "joy") && b.year != nil && *b.year <= 1902 }},
	}
	for _, fc := range filters {
		want := map[string]bool{}
		for _, b := range books {
			if fc.keep(b) {
				want[b.id] = true
			}
		}
		got := walk(delivery.ListQuery{Type: "book", Filters: fc.f, Limit: 4})
		if len(got) != len(want) {
			t.Fatalf("filter %+v: %d items, want %d", fc.f, len(got), len(want))
		}
		for _, id := range got {
			if !want[id] {
				t.Fatalf("filter %+v: unexpected %s", fc.f, id)
			}
		}
	}
	// Bad queries are Invalid with a path.
	for _, lq := range []delivery.ListQuery{
		{Type: "book", Filters: []delivery.Filter{{Field: "blurb", Op: "eq", Value: "x"}}},
		{Type: "book", Filters: []delivery.Filter{{Field: "year", Op: "eq", Value: "abc"}}},
		{Type: "book", Sort: "blurb"},
		{Type: "book", Cursor: "!!"},
		{Type: "book", Fields: []string{"nope"}},
	} {
		if _, err := env.Delivery.List(ctx, lq); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("query %+v: err %v, want invalid", lq, err)
		}
	}
	if _, err := env.Delivery.List(ctx, delivery.ListQuery{Type: "nope"}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("unknown type: %v", err)
	}
}

func testConcurrentSaves(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	d := createBook(t, env, "Letters", nil)
	const workers, saves = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*saves)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < saves; i++ {
				title := fmt.Sprintf("Letters %d-%d", w, i)
				if _, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Title: &title}); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent save: %v", err)
	}
	revs, err := env.Entries.Revisions(ctx, editor, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != workers*saves+1 {
		t.Fatalf("%d revisions, want %d", len(revs), workers*saves+1)
	}
	for i, r := range revs {
		if r.Number != len(revs)-i {
			t.Fatalf("revision numbers not dense: %d at %d", r.Number, i)
		}
	}
	got, _ := env.Entries.Get(ctx, editor, d.ID)
	if got.Revision.ID != revs[0].ID {
		t.Fatalf("latest pointer %s, want %s", got.Revision.ID, revs[0].ID)
	}
}

func testAudit(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	d := createBook(t, env, "Miracles", nil)
	title := "Miracles (2nd ed.)"
	if _, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Title: &title}); err != nil {
		t.Fatal(err)
	}
	publish(t, env, d.ID)
	if _, err := env.Entries.Unpublish(ctx, admin, d.ID); err != nil {
		t.Fatal(err)
	}
	rows, err := audit.List(ctx, env.DB, audit.Query{EntryID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Action+":"+*r.ActorID)
	}
	want := "unpublish:tok-admin publish:tok-editor save:tok-editor create:tok-editor"
	if strings.Join(got, " ") != want {
		t.Fatalf("audit = %v, want %s", got, want)
	}
}

func testLockAutosaveRevertDiff(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	d := createBook(t, env, "The Four Loves", map[string]any{"year": 1960,
		"body": []any{map[string]any{"type": "para", "id": "p1", "value": "Affection"},
			map[string]any{"type": "para", "id": "p2", "value": "Friendship"}}})
	publish(t, env, d.ID)
	other := auth.Principal{Kind: auth.KindToken, ID: "tok-other", Role: auth.RoleEditor}
	// Lock: others' saves are refused; the owner's pass; expiry frees it.
	if _, err := env.Entries.Lock(ctx, editor, d.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	title := "X"
	_, err := env.Entries.Save(ctx, other, d.ID, entries.SaveInput{Title: &title})
	wantCode(t, err, apperr.Conflict)
	_, err = env.Entries.Lock(ctx, other, d.ID, time.Minute)
	wantCode(t, err, apperr.Conflict)
	_, err = env.Entries.Unlock(ctx, other, d.ID)
	wantCode(t, err, apperr.Forbidden)
	// Autosaves by the owner coalesce into one revision.
	revsBefore, _ := env.Entries.Revisions(ctx, editor, d.ID)
	for _, v := range []int{1961, 1962, 1963} {
		if _, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Autosave: true,
			Fields: raw(t, map[string]any{"year": v, "body": []any{
				map[string]any{"type": "para", "id": "p2", "value": "Friendship"},
				map[string]any{"type": "para", "id": "p1", "value": "Affection!"}}})}); err != nil {
			t.Fatal(err)
		}
	}
	revs, _ := env.Entries.Revisions(ctx, editor, d.ID)
	if len(revs) != len(revsBefore)+1 || !revs[0].Autosave {
		t.Fatalf("autosaves: %d revisions (was %d), latest autosave=%v", len(revs), len(revsBefore), revs[0].Autosave)
	}
	// The explicit save finalises the same revision.
	fin, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Message: "done"})
	if err != nil || fin.Revision.ID != revs[0].ID || fin.Revision.Autosave {
		t.Fatalf("explicit save after autosave: %+v %v", fin.Revision, err)
	}
	next, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Autosave: true})
	if err != nil || next.Revision.ID == fin.Revision.ID {
		t.Fatalf("an autosave after an explicit save must start a new revision: %v", err)
	}
	// Draft vs live diff: block-level, by id.
	diff, err := env.Entries.Compare(ctx, editor, d.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, c := range diff.Changes {
		ops = append(ops, c.Op+" "+c.Path)
	}
	want := "changed fields.year|changed fields.body|moved fields.body[p2]|moved fields.body[p1]|changed fields.body[p1].value"
	if strings.Join(ops, "|") != want {
		t.Fatalf("diff = %v, want %s", ops, want)
	}
	if _, err := env.Entries.Unlock(ctx, editor, d.ID); err != nil {
		t.Fatal(err)
	}
	// Revert to revision 1: a new revision with the old content.
	first := revs[len(revs)-1]
	rv, err := env.Entries.Revert(ctx, other, d.ID, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rv.Revision.Number <= next.Revision.Number {
		t.Fatalf("revert: %+v", rv.Revision)
	}
	diff, err = env.Entries.Compare(ctx, editor, d.ID, first.ID, rv.Revision.ID)
	if err != nil || len(diff.Changes) != 0 {
		t.Fatalf("revert result differs from its source: %+v %v", diff, err)
	}
	rows, _ := audit.List(ctx, env.DB, audit.Query{EntryID: d.ID, Action: "revert"})
	if len(rows) != 1 {
		t.Fatalf("revert audit rows: %d", len(rows))
	}
}

package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/workflow"
)

func testWorkflow(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	mustRegister(t, env, pageType())
	_, err := env.Workflow.Create(ctx, editor, workflow.Input{Name: "x", Tasks: []workflow.TaskInput{{Name: "r", Roles: []string{"reviewer"}}}, Types: []string{"book"}})
	wantCode(t, err, apperr.Forbidden)
	_, err = env.Workflow.Create(ctx, admin, workflow.Input{Name: "", Tasks: []workflow.TaskInput{{Name: "r", Roles: []string{"boss"}}}})
	wantDiag(t, err, "tasks[0].roles[0]")
	if _, err := env.Workflow.Create(ctx, admin, workflow.Input{Name: "Review", RequireApproval: true,
		Tasks: []workflow.TaskInput{{Name: "Review", Roles: []string{"reviewer"}}}, Types: []string{"book"}}); err != nil {
		t.Fatal(err)
	}
	d := createBook(t, env, "Mere Christianity", map[string]any{"year": 1952})

	// An editor cannot publish a type that requires approval.
	_, err = env.Entries.Publish(ctx, editor, d.ID, entries.PublishInput{})
	wantCode(t, err, apperr.Forbidden)
	st, err := env.Workflow.Submit(ctx, editor, d.ID, "ready")
	if err != nil || st.Status != workflow.StatusInProgress || len(st.Tasks) != 1 {
		t.Fatalf("submit: %+v %v", st, err)
	}
	_, err = env.Workflow.Submit(ctx, editor, d.ID, "")
	wantCode(t, err, apperr.Conflict)
	_, err = env.Workflow.Approve(ctx, editor, d.ID, "")
	wantCode(t, err, apperr.Forbidden)
	st, err = env.Workflow.RequestChanges(ctx, reviewer, d.ID, "cite the broadcast talks")
	if err != nil || st.Status != workflow.StatusNeedsChanges {
		t.Fatalf("request changes: %+v %v", st, err)
	}
	title := "Mere Christianity (broadcast talks)"
	if _, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Title: &title}); err != nil {
		t.Fatal(err)
	}
	st, err = env.Workflow.Submit(ctx, editor, d.ID, "done")
	if err != nil || st.Status != workflow.StatusInProgress || len(st.Tasks) != 2 {
		t.Fatalf("resubmit: %+v %v", st, err)
	}
	st, err = env.Workflow.Approve(ctx, reviewer, d.ID, "good")
	if err != nil || st.Status != workflow.StatusApproved {
		t.Fatalf("approve: %+v %v", st, err)
	}
	if _, err := env.Entries.Publish(ctx, editor, d.ID, entries.PublishInput{}); err != nil {
		t.Fatalf("publish after approval: %v", err)
	}
	// A later draft is not approved: the editor cannot publish it, an admin
	// can (audited).
	title2 := "Mere Christianity (rev.)"
	if _, err := env.Entries.Save(ctx, editor, d.ID, entries.SaveInput{Title: &title2}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Entries.Publish(ctx, editor, d.ID, entries.PublishInput{})
	if e := wantCode(t, err, apperr.Forbidden); !strings.Contains(e.Message, "different revision") {
		t.Fatalf("message: %v", e)
	}
	if _, err := env.Entries.Publish(ctx, admin, d.ID, entries.PublishInput{}); err != nil {
		t.Fatalf("admin bypass: %v", err)
	}
	rows, err := audit.List(ctx, env.DB, audit.Query{EntryID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(rows) - 1; i >= 0; i-- {
		got = append(got, rows[i].Action+":"+*rows[i].ActorID)
	}
	want := "create:tok-editor workflow_submit:tok-editor workflow_request_changes:tok-reviewer save:tok-editor " +
		"workflow_submit:tok-editor workflow_approve:tok-reviewer publish:tok-editor save:tok-editor " +
		"publish_bypass_workflow:tok-admin publish:tok-admin"
	if strings.Join(got, " ") != want {
		t.Fatalf("audit:\n got %s\nwant %s", strings.Join(got, " "), want)
	}

	// A two-task workflow on a page subtree; cancel by the requester.
	home, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "page", Title: "Home"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Workflow.Create(ctx, admin, workflow.Input{Name: "Two step", Pages: []string{home.ID},
		Tasks: []workflow.TaskInput{{Name: "Copy edit", Roles: []string{"editor"}}, {Name: "Sign off", Roles: []string{"admin"}}}}); err != nil {
		t.Fatal(err)
	}
	child, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "page", Title: "About", ParentID: &home.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Workflow.Submit(ctx, editor, child.ID, ""); err != nil {
		t.Fatal(err)
	}
	st, err = env.Workflow.Approve(ctx, editor, child.ID, "")
	if err != nil || st.Status != workflow.StatusInProgress || len(st.Tasks) != 2 {
		t.Fatalf("first of two tasks: %+v %v", st, err)
	}
	_, err = env.Workflow.Approve(ctx, editor, child.ID, "")
	wantCode(t, err, apperr.Forbidden)
	_, err = env.Workflow.Cancel(ctx, reviewer, child.ID)
	wantCode(t, err, apperr.Forbidden)
	st, err = env.Workflow.Cancel(ctx, editor, child.ID)
	if err != nil || st.Status != workflow.StatusCancelled {
		t.Fatalf("cancel: %+v %v", st, err)
	}
	// Not gated (no require_approval): the page publishes freely.
	if _, err := env.Entries.Publish(ctx, editor, child.ID, entries.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	cur, err := env.Workflow.Current(ctx, editor, child.ID)
	if err != nil || cur.Status != workflow.StatusCancelled || cur.Tasks[1].Status != workflow.TaskCancelled {
		t.Fatalf("current: %+v %v", cur, err)
	}
}

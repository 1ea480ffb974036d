package sdk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// noteType is the content type of the test plugin.
func noteType() contenttypes.ContentType {
	one := 1.0
	return contenttypes.ContentType{
		Key: "note", Label: "Note",
		Fields: []contenttypes.Field{
			{Name: "body", Kind: contenttypes.KindText, Required: true},
			{Name: "rating", Kind: contenttypes.KindInteger, Indexed: true, Min: &one},
			{Name: "tags", Kind: contenttypes.KindTags, Indexed: true},
			{Name: "steps", Kind: contenttypes.KindStream, Children: []contenttypes.Field{
				{Name: "step", Kind: contenttypes.KindStruct, Children: []contenttypes.Field{
					{Name: "text", Kind: contenttypes.KindText, Required: true},
					{Name: "minutes", Kind: contenttypes.KindInteger},
				}},
			}},
		},
	}
}

// basePlugin is a valid declaration with one of everything, each doing
// nothing much; tests change what they exercise.
func basePlugin() *sdk.Plugin {
	return &sdk.Plugin{
		Name: "notes", Version: "1.0.0",
		ContentTypes: []contenttypes.ContentType{noteType()},
		Scopes:       []string{sdk.ScopeEntriesRead},
		Validate: []sdk.ValidateHook{{Types: []string{"note"}, Func: func(context.Context, *sdk.Host, *sdk.SaveEvent) contenttypes.Diagnostics {
			return nil
		}}},
		BeforeSave: []sdk.BeforeSaveHook{{Func: func(context.Context, *sdk.Host, *sdk.SaveEvent) (contenttypes.Values, contenttypes.Diagnostics) {
			return nil, nil
		}}},
		Events: []sdk.EventHook{{Event: sdk.AfterPublish, Func: func(context.Context, *sdk.Host, *sdk.Event) error { return nil }}},
		Jobs:   []sdk.Job{{Kind: "reindex", Run: func(context.Context, *sdk.Host, *sdk.JobRun) error { return nil }}},
		Endpoints: []sdk.Endpoint{{Path: "/notes/{id}/related", Handle: func(context.Context, *sdk.Host, *sdk.Request) (*sdk.Response, error) {
			return sdk.OK([]string{}), nil
		}}},
		Actions: []sdk.Action{{Name: "retag", Label: "Retag", Types: []string{"note"},
			Run: func(context.Context, *sdk.Host, *sdk.ActionRun) (any, contenttypes.Diagnostics, error) {
				return nil, nil, nil
			}}},
	}
}

// wantCode fails the test unless err is a gRPC status error with code and
// a message containing each of msgs.
func wantCode(t *testing.T, err error, code codes.Code, msgs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("got %s (%v), want %s", st.Code(), err, code)
	}
	for _, m := range msgs {
		if !strings.Contains(st.Message(), m) {
			t.Errorf("message %q does not contain %q", st.Message(), m)
		}
	}
}

// diagAt fails the test unless ds has a diagnostic at path with code.
func diagAt(t *testing.T, ds contenttypes.Diagnostics, path, code string) contenttypes.Diagnostic {
	t.Helper()
	for _, d := range ds {
		if d.Path == path && d.Code == code {
			return d
		}
	}
	t.Fatalf("no diagnostic %s at %q in %v", code, path, ds)
	return contenttypes.Diagnostic{}
}

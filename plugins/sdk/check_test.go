package sdk_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

func TestCheckAcceptsTheBasePlugin(t *testing.T) {
	if ds := basePlugin().Check(); len(ds) > 0 {
		t.Fatalf("unexpected diagnostics: %v", ds)
	}
	p := basePlugin()
	p.Name = "2nd-notes_plugin" // the host's names: digits, '-' and '_' are fine
	if ds := p.Check(); len(ds) > 0 {
		t.Fatalf("unexpected diagnostics: %v", ds)
	}
}

// relatedOnly turns the base plugin's endpoint into a related list.
func relatedOnly(p *sdk.Plugin, rl sdk.RelatedList) {
	p.Endpoints[0].Handle = nil
	p.Endpoints[0].Related = &rl
}

func TestCheck(t *testing.T) {
	handle := func(context.Context, *sdk.Host, *sdk.Request) (*sdk.Response, error) { return nil, nil }
	job := func(context.Context, *sdk.Host, *sdk.JobRun) error { return nil }
	cases := []struct {
		name   string
		change func(p *sdk.Plugin)
		path   string // of the expected diagnostic
		msg    string // a part of its summary
	}{
		{"no name", func(p *sdk.Plugin) { p.Name = "" }, "name", "invalid"},
		{"name with capitals", func(p *sdk.Plugin) { p.Name = "Hello" }, "name", "inkling-plugin-<name>"},
		{"name with a dot", func(p *sdk.Plugin) { p.Name = "hello.world" }, "name", "invalid"},
		{"no version", func(p *sdk.Plugin) { p.Version = "" }, "version", "invalid"},
		{"invalid content type", func(p *sdk.Plugin) { p.ContentTypes[0].Fields[1].Kind = "number" }, "content_types[note].fields.rating.kind", ""},
		{"content type without a label", func(p *sdk.Plugin) { p.ContentTypes[0].Label = "" }, "content_types[note].label", "label"},
		{"content type with a bad key", func(p *sdk.Plugin) { p.ContentTypes[0].Key = "Note" }, "content_types[0].key", ""},
		{"duplicate content type", func(p *sdk.Plugin) { p.ContentTypes = append(p.ContentTypes, noteType()) }, "content_types[note].key", "declared twice"},
		{"unknown scope", func(p *sdk.Plugin) { p.Scopes = append(p.Scopes, "entries:delete") }, "scopes[1]", "unknown scope"},
		{"duplicate scope", func(p *sdk.Plugin) { p.Scopes = append(p.Scopes, sdk.ScopeEntriesRead) }, "scopes[1]", "twice"},
		{"validate without func", func(p *sdk.Plugin) { p.Validate[0].Func = nil }, "validate[0].func", "no Func"},
		{"hook with a bad type key", func(p *sdk.Plugin) { p.Validate[0].Types = []string{"Note!"} }, "validate[0].types[0]", "invalid"},
		{"before_save without func", func(p *sdk.Plugin) { p.BeforeSave[0].Func = nil }, "before_save[0].func", "no Func"},
		{"unknown event", func(p *sdk.Plugin) { p.Events[0].Event = "after_delete" }, "events[0].event", "unknown event"},
		{"empty workflow state", func(p *sdk.Plugin) { p.Events[0].Event = sdk.WorkflowState("") }, "events[0].event", "unknown event"},
		{"event without func", func(p *sdk.Plugin) { p.Events[0].Func = nil }, "events[0].func", "no Func"},
		{"duplicate job kind", func(p *sdk.Plugin) { p.Jobs = append(p.Jobs, sdk.Job{Kind: "reindex", Run: job}) }, "jobs[1].kind", "declared twice"},
		{"bad job kind", func(p *sdk.Plugin) { p.Jobs[0].Kind = "re index" }, "jobs[0].kind", "invalid"},
		{"job without run", func(p *sdk.Plugin) { p.Jobs[0].Run = nil }, "jobs[0].run", "no Run"},
		{"fractional period", func(p *sdk.Plugin) { p.Jobs[0].Every = 1500 * time.Millisecond }, "jobs[0].every", "whole number of seconds"},
		{"job timeout over an hour", func(p *sdk.Plugin) { p.Jobs[0].Timeout = 2 * time.Hour }, "jobs[0].timeout", "up to 1h"},
		{"negative max attempts", func(p *sdk.Plugin) { p.Jobs[0].MaxAttempts = -1 }, "jobs[0].max_attempts", "between 0"},
		{"upgrade of another plugin's type", func(p *sdk.Plugin) { p.Upgrades = []sdk.Upgrade{{Type: "passage", Func: upgrade}} }, "upgrades[0].type", "no such content type"},
		{"upgrade without func", func(p *sdk.Plugin) { p.Upgrades = []sdk.Upgrade{{Type: "note"}} }, "upgrades[0].func", "no Func"},
		{"two upgrades of a type", func(p *sdk.Plugin) {
			p.Upgrades = []sdk.Upgrade{{Type: "note", Func: upgrade}, {Type: "note", Func: upgrade}}
		}, "upgrades[1].type", "two upgrades"},
		{"relative endpoint path", func(p *sdk.Plugin) { p.Endpoints[0].Path = "notes" }, "endpoints[0].path", `must start with "/"`},
		{"trailing slash", func(p *sdk.Plugin) { p.Endpoints[0].Path = "/notes/" }, "endpoints[0].path", "must not end"},
		{"root path", func(p *sdk.Plugin) { p.Endpoints[0].Path = "/" }, "endpoints[0].path", "reserved"},
		{"collides with /content", func(p *sdk.Plugin) { p.Endpoints[0].Path = "/content/notes" }, "endpoints[0].path", "built-in delivery API"},
		{"collides with /openapi.json", func(p *sdk.Plugin) { p.Endpoints[0].Path = "/openapi.json" }, "endpoints[0].path", "built-in delivery API"},
		{"parameter first", func(p *sdk.Plugin) { p.Endpoints[0].Path = "/{slug}" }, "endpoints[0].path", "first segment must be literal"},
		{"bad segment", func(p *sdk.Plugin) { p.Endpoints[0].Path = "/notes/a b" }, "endpoints[0].path", "invalid"},
		{"parameter twice", func(p *sdk.Plugin) { p.Endpoints[0].Path = "/notes/{id}/{id}" }, "endpoints[0].path", "appears twice"},
		{"duplicate endpoint", func(p *sdk.Plugin) {
			p.Endpoints = append(p.Endpoints, sdk.Endpoint{Path: "/notes/{note}/related", Handle: handle})
		}, "endpoints[1].path", "collides with endpoints[0]"},
		{"POST endpoint", func(p *sdk.Plugin) { p.Endpoints[0].Method = "POST" }, "endpoints[0].method", "read-only"},
		{"endpoint without handle", func(p *sdk.Plugin) { p.Endpoints[0].Handle = nil }, "endpoints[0].handle", "neither Handle nor Related"},
		{"handle and related", func(p *sdk.Plugin) {
			p.Endpoints[0].Related = &sdk.RelatedList{Type: "note", Field: "tags"}
		}, "endpoints[0].related", "drop Handle"},
		{"related without type", func(p *sdk.Plugin) { relatedOnly(p, sdk.RelatedList{Field: "tags"}) }, "endpoints[0].related.type", "missing"},
		{"related by a field that is not tags", func(p *sdk.Plugin) { relatedOnly(p, sdk.RelatedList{Type: "note", Field: "rating"}) },
			"endpoints[0].related.field", "indexed tags field"},
		{"related by an unknown field", func(p *sdk.Plugin) { relatedOnly(p, sdk.RelatedList{Type: "note", Field: "topics"}) },
			"endpoints[0].related.field", "no field \"topics\""},
		{"related filter on an unindexed field", func(p *sdk.Plugin) {
			relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", FilterField: "body"})
		}, "endpoints[0].related.filter_field", "must be indexed"},
		{"related filter param without field", func(p *sdk.Plugin) {
			relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", FilterParam: "kind"})
		}, "endpoints[0].related.filter_param", "without a filter field"},
		{"related seed not in path", func(p *sdk.Plugin) {
			relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", SeedParam: "note"})
		}, "endpoints[0].related.seed_param", "does not appear"},
		{"related seed ambiguous", func(p *sdk.Plugin) {
			relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags"})
			p.Endpoints[0].Path = "/books/{book}/notes/{id}/related"
		}, "endpoints[0].related.seed_param", "has 2 parameters"},
		{"related limit over 50", func(p *sdk.Plugin) { relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", MaxLimit: 51}) },
			"endpoints[0].related.max_limit", "1 to 50"},
		{"related default over max", func(p *sdk.Plugin) {
			relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", DefaultLimit: 30, MaxLimit: 10})
		}, "endpoints[0].related.default_limit", "1 to MaxLimit (10)"},
		{"related limit param is the path's", func(p *sdk.Plugin) {
			relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", LimitParam: "id"})
		}, "endpoints[0].related.limit_param", "also a path parameter"},
		{"related filter and limit share a param", func(p *sdk.Plugin) {
			relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", FilterField: "rating", FilterParam: "n", LimitParam: "n"})
		}, "endpoints[0].related.filter_param", "both use"},
		{"related item key items", func(p *sdk.Plugin) { relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", ItemKey: "items"}) },
			"endpoints[0].related.item_key", "list itself"},
		{"related bad seed key", func(p *sdk.Plugin) { relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", SeedKey: "seed id"}) },
			"endpoints[0].related.seed_key", "invalid"},
		{"related same keys", func(p *sdk.Plugin) {
			relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", ItemKey: "note", SeedKey: "note"})
		}, "endpoints[0].related.seed_key", "both \"note\""},
		{"path param not in path", func(p *sdk.Plugin) {
			p.Endpoints[0].Params = []sdk.Param{{Name: "slug", In: sdk.InPath}}
		}, "endpoints[0].params[0].name", "does not appear"},
		{"bad param location", func(p *sdk.Plugin) {
			p.Endpoints[0].Params = []sdk.Param{{Name: "x", In: "header"}}
		}, "endpoints[0].params[0].in", "In must be"},
		{"duplicate param", func(p *sdk.Plugin) {
			p.Endpoints[0].Params = []sdk.Param{{Name: "limit"}, {Name: "limit"}}
		}, "endpoints[0].params[1].name", "declared twice"},
		{"unencodable schema", func(p *sdk.Plugin) {
			p.Endpoints[0].ResponseSchema = map[string]any{"bad": func() {}}
		}, "endpoints[0].response_schema", "cannot be encoded"},
		{"fractional cache age", func(p *sdk.Plugin) { p.Endpoints[0].CacheMaxAge = time.Millisecond }, "endpoints[0].cache_max_age", "whole number"},
		{"duplicate action", func(p *sdk.Plugin) { p.Actions = append(p.Actions, p.Actions[0]) }, "actions[1].name", "declared twice"},
		{"action without label", func(p *sdk.Plugin) { p.Actions[0].Label = " " }, "actions[0].label", "no Label"},
		{"action without run", func(p *sdk.Plugin) { p.Actions[0].Run = nil }, "actions[0].run", "no Run"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := basePlugin()
			tc.change(p)
			ds := p.Check()
			d := diagAt(t, ds, tc.path, contenttypes.CodeInvalidDefinition)
			if !strings.Contains(d.Summary, tc.msg) {
				t.Errorf("summary %q does not contain %q", d.Summary, tc.msg)
			}
			// PluginSet (and so Serve) refuses the same declaration.
			_, err := sdk.PluginSet(p)
			var got contenttypes.Diagnostics
			if !errors.As(err, &got) || len(got.At(tc.path)) == 0 {
				t.Errorf("PluginSet: got %v, want the diagnostics of Check", err)
			}
		})
	}
}

func TestCheckNilPlugin(t *testing.T) {
	var p *sdk.Plugin
	if ds := p.Check(); !ds.HasError() {
		t.Fatal("a nil plugin passed Check")
	}
}

// TestServeFailsLoudly runs Serve with a broken declaration in a child
// process: it must list the problems on stderr and exit with status 1
// before serving.
func TestServeFailsLoudly(t *testing.T) {
	if os.Getenv("SDK_TEST_SERVE") == "invalid" {
		p := basePlugin()
		p.Name = "Bad Name"
		p.Endpoints[0].Path = "/content"
		sdk.Serve(p)
		return
	}
	if os.Getenv("SDK_TEST_SERVE") == "valid" {
		sdk.Serve(basePlugin())
		return
	}
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"invalid", []string{`inkling plugin "Bad Name": the declaration is invalid`, "name: plugin name", "endpoints[0].path:"}},
		// Started by hand, without the host's handshake cookie, the binary
		// says it is a plugin (go-plugin's message) and exits.
		{"valid", []string{"This binary is a plugin"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestServeFailsLoudly$")
			cmd.Env = append(os.Environ(), "SDK_TEST_SERVE="+tc.mode)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("got %v, want exit status 1; output:\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output does not contain %q:\n%s", w, out)
				}
			}
		})
	}
}

func upgrade(_ context.Context, u *sdk.UpgradeInput) (contenttypes.Values, error) {
	return u.Fields, nil
}

package inkling_test

// This test enforces the import arrows of docs/architecture.md:
//
//	cmd → api → engine → contenttypes
//	engine/pluginhost → plugins/protocol ← plugins/sdk ← plugins/*
//
// The core (engine, api, contenttypes, migrations) never imports a plugin;
// plugins reach the core only through plugins/sdk; nothing imports cmd.

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/inklingcms/inkling"

// rule forbids packages under from importing packages under any of deny.
type rule struct {
	from string
	deny []string
	why  string
}

var rules = []rule{
	{from: "contenttypes", deny: []string{"engine", "api", "plugins", "cmd", "migrations"},
		why: "contenttypes is the pure vocabulary at the bottom"},
	{from: "engine", deny: []string{"api", "cmd", "plugins"},
		why: "the engine never imports a plugin (only engine/pluginhost speaks plugins/protocol)"},
	{from: "api", deny: []string{"cmd", "plugins"},
		why: "api sits under cmd and knows plugins only through the engine"},
	{from: "migrations", deny: []string{"engine", "api", "cmd", "plugins", "contenttypes"},
		why: "migrations are embedded SQL only"},
	{from: "plugins/protocol", deny: []string{"engine", "api", "cmd", "plugins/sdk"},
		why: "the protocol is a leaf"},
	{from: "plugins", deny: []string{"engine", "api", "cmd"},
		why: "plugins reach the core only through plugins/sdk"},
	{from: "examples", deny: []string{"engine", "api", "cmd"},
		why: "examples are third-party code: plugins/sdk only"},
}

// allowedException: only engine/pluginhost may speak the plugin protocol.
func allowedException(pkg, imp string) bool {
	return strings.HasPrefix(imp, "plugins/protocol") && strings.HasPrefix(pkg, "engine/pluginhost")
}

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }

func TestImportArrows(t *testing.T) {
	fset := token.NewFileSet()
	imports := map[string]map[string]string{} // pkg → import → file
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		for _, is := range f.Imports {
			imp := strings.Trim(is.Path.Value, `"`)
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if imports[pkg] == nil {
				imports[pkg] = map[string]string{}
			}
			imports[pkg][strings.TrimPrefix(imp, module+"/")] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) == 0 {
		t.Fatal("found no internal imports; is the test running at the module root?")
	}
	for pkg, imps := range imports {
		for imp, file := range imps {
			if why, bad := violation(pkg, imp); bad {
				t.Errorf("%s imports %s: %s", file, imp, why)
			}
		}
	}
}

// violation reports whether package pkg may not import imp, and why.
func violation(pkg, imp string) (string, bool) {
	if under(imp, "cmd") {
		return "nothing imports cmd", true
	}
	for _, r := range rules {
		if !under(pkg, r.from) {
			continue
		}
		for _, d := range r.deny {
			if under(imp, d) && !allowedException(pkg, imp) {
				return r.why, true
			}
		}
	}
	return "", false
}

// TestArrowRuleCatchesViolations proves the checker can fail.
func TestArrowRuleCatchesViolations(t *testing.T) {
	cases := []struct {
		pkg, imp string
		bad      bool
	}{
		{"engine/entries", "plugins/cslewis", true},
		{"engine/pluginhost", "plugins/protocol", false},
		{"engine/entries", "plugins/protocol", true},
		{"api", "engine/entries", false},
		{"contenttypes", "engine/store", true},
		{"plugins/cslewis", "engine/entries", true},
		{"plugins/cslewis", "plugins/sdk", false},
	}
	for _, c := range cases {
		_, got := violation(c.pkg, c.imp)
		if got != c.bad {
			t.Errorf("%s → %s: violation=%v, want %v", c.pkg, c.imp, got, c.bad)
		}
	}
}

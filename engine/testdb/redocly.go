package testdb

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// moduleRoot finds the directory holding go.mod, from the test's working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// RedoclyLint lints an OpenAPI document with @redocly/cli (installed by
// `npm ci` at the module root, as .ci/run does) and fails the test on any
// error or warning of its recommended ruleset.
func RedoclyLint(t testing.TB, doc []byte) {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("module root: %v", err)
	}
	bin := filepath.Join(root, "node_modules", ".bin", "redocly")
	if _, err := os.Stat(bin); err != nil {
		Unavailable(t, "@redocly/cli (run npm ci at the repository root)", err)
	}
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "lint", "--format=stylish", "--max-problems=50", file)
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil || strings.Contains(text, " warning ") || strings.Contains(text, " error ") {
		t.Fatalf("redocly lint: %v\n%s", err, text)
	}
}

package pluginhost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"

	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
)

// The lead's wiring in miniature: a built-in plugin (here the test plugin;
// in the server, the inkling binary re-executed as `inkling plugin run
// NAME`), started, then asked to run its save hooks.
func ExampleManager() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "pluginhost-example-")
	defer os.RemoveAll(dir)
	db, _ := store.Open(ctx, store.Config{DataDir: dir})
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}
	types := registry.New(db)

	m := pluginhost.New(pluginhost.Config{
		DB: db, Types: types,
		Builtins: map[string]func() *exec.Cmd{"hello": func() *exec.Cmd {
			cmd := exec.Command(pluginhost.PluginBinaryForTests()) // os.Executable(), "plugin", "run", "hello"
			cmd.Env = []string{"TESTPLUGIN_NAME=hello"}
			return cmd
		}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err := m.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer m.Stop()

	st, _ := m.Get(ctx, "hello")
	fmt.Println(st.Name, st.Status, st.ContentTypes)
	t, _ := types.Get(ctx, "hello_note")
	fmt.Println("hello_note declared by", t.Source)

	fields, diags, err := m.BeforeSave(ctx, pluginhost.HookInput{Type: "hello_note", Fields: json.RawMessage(`{"body":"a forbidden word"}`)})
	fmt.Println(string(fields), err)
	for _, d := range diags {
		fmt.Println(d)
	}
	// Output:
	// hello running [hello_note]
	// hello_note declared by hello
	// {"body":"a forbidden word","trail":"hello","word_count":3} <nil>
	// fields.body: hello refuses the word forbidden (forbidden_word)
}

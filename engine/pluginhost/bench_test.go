package pluginhost

import (
	"context"
	"testing"
)

// BenchmarkHookRoundTrip measures one BeforeSave against one running plugin
// bound to the type: a before_save call and a validate call over gRPC
// (AutoMTLS), with JSON in and out.
func BenchmarkHookRoundTrip(b *testing.B) {
	e := newEnv(b, "sqlite")
	m := e.manager(builtins("bench"), nil)
	e.start(m)
	ctx := context.Background()
	in := HookInput{Actor: admin, Type: "bench_note", Fields: noteFields}
	if _, _, err := m.BeforeSave(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.BeforeSave(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

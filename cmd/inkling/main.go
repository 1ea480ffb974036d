// Command inkling is the Inkling headless CMS: one binary that serves the
// delivery and management APIs and runs maintenance commands. Every flag can
// also be set through an INKLING_* environment variable; with none set it
// runs the embedded default (SQLite in ./data).
//
// This is the only package that picks implementations and wires them.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp().Run(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "inkling:", err)
		os.Exit(1)
	}
}

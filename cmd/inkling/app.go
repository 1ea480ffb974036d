package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/urfave/cli/v3"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Flags shared by every command that touches the database. They are
// persistent: `inkling --data D tokens create` and `inkling tokens create
// --data D` both work.
var (
	flagData = &cli.StringFlag{Name: "data", Value: "data", Usage: "data directory (SQLite database, local media)",
		Sources: cli.EnvVars("INKLING_DATA")}
	flagDatabaseURL = &cli.StringFlag{Name: "database-url", Usage: "postgres://… URL; empty selects SQLite in --data",
		Sources: cli.EnvVars("INKLING_DATABASE_URL")}
	flagLogFormat = &cli.StringFlag{Name: "log-format", Value: "auto", Usage: "auto (text on a terminal, else JSON), json or text",
		Sources: cli.EnvVars("INKLING_LOG_FORMAT")}
	flagLogLevel = &cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error",
		Sources: cli.EnvVars("INKLING_LOG_LEVEL")}
)

func newApp() *cli.Command {
	return &cli.Command{
		Name:    "inkling",
		Usage:   "a headless CMS whose content types are plugins",
		Version: buildVersion(),
		Flags:   []cli.Flag{flagData, flagDatabaseURL, flagLogFormat, flagLogLevel},
		Commands: []*cli.Command{
			serveCommand(),
			migrateCommand(),
			usersCommand(),
			tokensCommand(),
			pluginsCommand(),
			seedCommand(),
			pluginCommand(),
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(ctx context.Context, c *cli.Command) error {
					fmt.Fprintln(c.Root().Writer, buildVersion())
					return nil
				},
			},
		},
	}
}

// newLogger builds the process logger: JSON in production, text on a
// terminal.
func newLogger(c *cli.Command, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	format := c.String("log-format")
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: want auto, json or text, got %q", format)
}

// openDB opens and migrates the configured database.
func openDB(ctx context.Context, c *cli.Command, log *slog.Logger) (*store.DB, error) {
	url := strings.TrimSpace(c.String("database-url"))
	db, err := store.Open(ctx, store.Config{URL: url, DataDir: c.String("data")})
	if err != nil {
		return nil, err
	}
	res, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("error applying job queue migrations: %w", err)
	}
	if len(res.Applied) > 0 && log != nil {
		log.Info("applied migrations", "database", db.Location, "migrations", res.Applied)
	}
	return db, nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/plugins/aitags"
	"github.com/inklingcms/inkling/plugins/cslewis"
	"github.com/inklingcms/inkling/plugins/elevenlabs"
	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/inklingcms/inkling/plugins/substack"
	"github.com/urfave/cli/v3"
)

// builtinPlugins are the first-party plugins compiled into this binary.
// They still run out of process: the host starts `inkling plugin run NAME`.
// A distribution is this map (like Caddy's imports file).
func builtinPlugins() map[string]*sdk.Plugin {
	return map[string]*sdk.Plugin{
		"cslewis":    cslewis.Plugin(),
		"aitags":     aitags.Plugin(),
		"elevenlabs": elevenlabs.Plugin(),
		"substack":   substack.Plugin(),
	}
}

// builtinCommands tells the plugin host how to start each built-in plugin:
// by re-executing this binary.
func builtinCommands() map[string]func() *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	out := map[string]func() *exec.Cmd{}
	for name := range builtinPlugins() {
		out[name] = func() *exec.Cmd { return exec.Command(self, "plugin", "run", name) }
	}
	return out
}

func pluginCommand() *cli.Command {
	return &cli.Command{
		Name:   "plugin",
		Usage:  "internal: serve a built-in plugin (started by the plugin host)",
		Hidden: true,
		Commands: []*cli.Command{{
			Name:      "run",
			ArgsUsage: "NAME",
			Action: func(ctx context.Context, c *cli.Command) error {
				p, ok := builtinPlugins()[c.Args().First()]
				if !ok {
					return fmt.Errorf("no built-in plugin %q", c.Args().First())
				}
				// main catches SIGTERM to shut a server down gracefully; a
				// plugin has nothing to drain, so SIGTERM ends it at once.
				signal.Reset(syscall.SIGTERM)
				sdk.Serve(p) // speaks go-plugin's handshake on stdout; never returns
				return nil
			},
		}},
	}
}

func pluginsCommand() *cli.Command {
	dirFlag := &cli.StringFlag{Name: "plugins-dir", Usage: "directory of external plugins", Sources: cli.EnvVars("INKLING_PLUGINS_DIR")}
	manager := func(ctx context.Context, c *cli.Command) (*pluginhost.Manager, func(), error) {
		db, err := openDB(ctx, c, nil)
		if err != nil {
			return nil, nil, err
		}
		types := registry.New(db)
		if err := types.Load(ctx); err != nil {
			db.Close()
			return nil, nil, err
		}
		m := pluginhost.New(pluginhost.Config{DB: db, Types: types, Builtins: builtinCommands(), Dir: c.String("plugins-dir"),
			HostVersion: buildVersion()})
		return m, func() { db.Close() }, nil
	}
	return &cli.Command{
		Name:  "plugins",
		Usage: "list, enable and disable plugins",
		Commands: []*cli.Command{
			{
				Name:  "list",
				Usage: "show every known plugin: name, kind, version, protocol, content types, status",
				Flags: []cli.Flag{dirFlag},
				Action: func(ctx context.Context, c *cli.Command) error {
					m, done, err := manager(ctx, c)
					if err != nil {
						return err
					}
					defer done()
					list, err := m.List(ctx)
					if err != nil {
						return err
					}
					sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
					w := tabwriter.NewWriter(c.Root().Writer, 2, 4, 2, ' ', 0)
					fmt.Fprintln(w, "NAME\tKIND\tVERSION\tPROTOCOL\tCONTENT TYPES\tSTATUS\tDETAIL")
					for _, s := range list {
						fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Name, s.Kind, s.Version, s.ProtocolVersion,
							strings.Join(s.ContentTypes, ","), s.Status, s.LastError)
					}
					return w.Flush()
				},
			},
			onePlugin("enable", "enable a plugin; an external one is pinned to the sha256 of its file now", dirFlag, manager,
				func(ctx context.Context, m *pluginhost.Manager, name string) (string, error) {
					if err := m.Enable(ctx, name); err != nil {
						return "", err
					}
					st, err := m.Get(ctx, name)
					if err != nil {
						return "", err
					}
					return fmt.Sprintf("enabled %s (sha256 %s); running servers start it on their next start", st.Name, st.SHA256), nil
				}),
			onePlugin("disable", "disable a plugin", dirFlag, manager,
				func(ctx context.Context, m *pluginhost.Manager, name string) (string, error) {
					return "disabled " + name, m.Disable(ctx, name)
				}),
		},
	}
}

// onePlugin is a `plugins` subcommand acting on the plugin NAME.
func onePlugin(name, usage string, dirFlag cli.Flag,
	manager func(context.Context, *cli.Command) (*pluginhost.Manager, func(), error),
	do func(ctx context.Context, m *pluginhost.Manager, plugin string) (string, error)) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, ArgsUsage: "NAME", Flags: []cli.Flag{dirFlag},
		Action: func(ctx context.Context, c *cli.Command) error {
			m, done, err := manager(ctx, c)
			if err != nil {
				return err
			}
			defer done()
			msg, err := do(ctx, m, c.Args().First())
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Root().Writer, msg)
			return nil
		},
	}
}

package main

import (
	"context"
	"fmt"
	"os"

	"github.com/inklingcms/inkling/engine/auth"
	"github.com/urfave/cli/v3"
)

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "apply pending database migrations (serve also does this at start)",
		Action: func(ctx context.Context, c *cli.Command) error {
			log, err := newLogger(c, os.Stderr)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, c, log)
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(c.Root().Writer, "database %s is up to date\n", db.Location)
			return nil
		},
	}
}

func usersCommand() *cli.Command {
	return &cli.Command{
		Name:  "users",
		Usage: "manage admin users",
		Commands: []*cli.Command{{
			Name:  "create",
			Usage: "create a user (password hashed with argon2id)",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "email", Required: true},
				&cli.StringFlag{Name: "password", Usage: "at least 10 characters; or set INKLING_PASSWORD",
					Sources: cli.EnvVars("INKLING_PASSWORD")},
				&cli.StringFlag{Name: "role", Value: "editor", Usage: "admin, editor or reviewer"},
			},
			Action: func(ctx context.Context, c *cli.Command) error {
				role, err := auth.ParseRole(c.String("role"))
				if err != nil {
					return err
				}
				db, err := openDB(ctx, c, nil)
				if err != nil {
					return err
				}
				defer db.Close()
				u, err := auth.New(db, nil).CreateUser(ctx, c.String("email"), c.String("password"), role)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.Root().Writer, "created %s user %s (%s)\n", u.Role, u.Email, u.ID)
				return nil
			},
		}},
	}
}

func tokensCommand() *cli.Command {
	return &cli.Command{
		Name:  "tokens",
		Usage: "manage API tokens",
		Commands: []*cli.Command{{
			Name:  "create",
			Usage: "create an API token; the token is printed alone on the last line",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "role", Required: true, Usage: "admin, editor or reviewer"},
				&cli.StringFlag{Name: "name", Required: true, Usage: "what the token is for"},
				&cli.DurationFlag{Name: "ttl", Usage: "lifetime (e.g. 720h); 0 never expires"},
			},
			Action: func(ctx context.Context, c *cli.Command) error {
				role, err := auth.ParseRole(c.String("role"))
				if err != nil {
					return err
				}
				db, err := openDB(ctx, c, nil)
				if err != nil {
					return err
				}
				defer db.Close()
				t, plain, err := auth.New(db, nil).CreateToken(ctx, auth.TokenInput{Name: c.String("name"), Role: role, TTL: c.Duration("ttl")})
				if err != nil {
					return err
				}
				w := c.Root().Writer
				fmt.Fprintf(w, "created %s token %q (%s); it is shown once:\n", t.Role, t.Name, t.ID)
				fmt.Fprintln(w, plain)
				return nil
			},
		}},
	}
}

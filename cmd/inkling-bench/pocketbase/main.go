// Command pocketbase is the PocketBase baseline of inkling-bench: a stock
// PocketBase (the module from the Go module proxy, in its own go.mod so it
// never enters inkling's) with one extra command.
//
//	pocketbase import --dir D --file passages.ndjson
//	pocketbase serve  --dir D --http 127.0.0.1:PORT
//
// import creates the base collection "passages" (if missing), publicly
// listable, and inserts every passage of the NDJSON file (one passage per
// line, as inkling's delivery API returns it) in one transaction. It also
// turns PocketBase's request log off (on by default: a row per request in
// auxiliary.db), since the inkling server it is measured against logs no
// requests either; --request-logs keeps it. serve is PocketBase's own,
// without the first-run installer (it would try to open a browser).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/spf13/cobra"
)

// collectionName is the collection the passages go into.
const collectionName = "passages"

func main() {
	app := pocketbase.NewWithConfig(pocketbase.Config{HideStartBanner: true})
	// PocketBase's Execute ignores a command's error (cobra prints it):
	// remember it for the exit status.
	var cmdErr error
	app.RootCmd.AddCommand(importCommand(app, &cmdErr))
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.InstallerFunc = nil
		return e.Next()
	})
	if err := app.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "pocketbase:", err)
		os.Exit(1)
	}
	if cmdErr != nil {
		os.Exit(1)
	}
}

func importCommand(app core.App, cmdErr *error) *cobra.Command {
	var file string
	var requestLogs bool
	c := &cobra.Command{
		Use:          "import",
		Short:        "Imports inkling passages (NDJSON, one delivery API item a line) into the passages collection",
		SilenceUsage: true,
		RunE: func(_ *cobra.Command, _ []string) error {
			*cmdErr = func() error {
				if file == "" {
					return errors.New("--file is required")
				}
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				start := time.Now()
				n, err := importPassages(app, f)
				if err != nil {
					return fmt.Errorf("importing %s: %w", file, err)
				}
				if !requestLogs {
					settings := app.Settings()
					settings.Logs.MaxDays = 0
					if err := app.Save(settings); err != nil {
						return fmt.Errorf("turning the request log off: %w", err)
					}
				}
				fmt.Printf("imported %d passages into %s in %s\n", n, app.DataDir(), time.Since(start).Round(time.Millisecond))
				return nil
			}()
			return *cmdErr
		},
	}
	c.Flags().StringVar(&file, "file", "", "the NDJSON file of passages")
	c.Flags().BoolVar(&requestLogs, "request-logs", false, "keep PocketBase's request log on")
	return c
}

// passage is the part of a delivery API item the collection keeps.
type passage struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Fields struct {
		Register string          `json:"register"`
		Motifs   []string        `json:"motifs"`
		Work     json.RawMessage `json:"work"`
		Body     json.RawMessage `json:"body"`
	} `json:"fields"`
}

// readPassages decodes a stream of delivery API items (NDJSON or any
// whitespace-separated JSON values).
func readPassages(r io.Reader) ([]passage, error) {
	dec := json.NewDecoder(r)
	var out []passage
	for {
		var p passage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("passage %d: %w", len(out)+1, err)
		}
		if p.ID == "" {
			return nil, fmt.Errorf("passage %d: no id", len(out)+1)
		}
		out = append(out, p)
	}
}

// workID is a reference as the delivery API renders it: the id, or the
// expanded entry (whose id is kept).
func workID(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var entry struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &entry) == nil && entry.ID != "" {
		return entry.ID
	}
	return ""
}

// vocabulary is the sorted set of values of a field over all passages.
func vocabulary(ps []passage, values func(passage) []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		for _, v := range values(p) {
			if v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out
}

// importPassages reads passages from r and inserts those not imported yet,
// all in one transaction; it returns how many it inserted.
func importPassages(app core.App, r io.Reader) (int, error) {
	ps, err := readPassages(r)
	if err != nil {
		return 0, err
	}
	motifs := vocabulary(ps, func(p passage) []string { return p.Fields.Motifs })
	registers := vocabulary(ps, func(p passage) []string { return []string{p.Fields.Register} })
	inserted := 0
	err = app.RunInTransaction(func(tx core.App) error {
		col, err := ensureCollection(tx, motifs, registers)
		if err != nil {
			return err
		}
		var existing []string
		if err := tx.DB().Select("inkling_id").From(collectionName).Column(&existing); err != nil {
			return fmt.Errorf("reading the imported ids: %w", err)
		}
		done := map[string]bool{}
		for _, id := range existing {
			done[id] = true
		}
		for _, p := range ps {
			if done[p.ID] {
				continue
			}
			rec := core.NewRecord(col)
			rec.Set("inkling_id", p.ID)
			rec.Set("title", p.Title)
			rec.Set("register", p.Fields.Register)
			rec.Set("motifs", p.Fields.Motifs)
			rec.Set("work", workID(p.Fields.Work))
			rec.Set("body", types.JSONRaw(p.Fields.Body))
			if err := tx.Save(rec); err != nil {
				return fmt.Errorf("saving passage %s: %w", p.ID, err)
			}
			done[p.ID] = true
			inserted++
		}
		return nil
	})
	return inserted, err
}

// ensureCollection creates the passages collection, or widens the choices
// of its select fields to the given vocabularies.
func ensureCollection(app core.App, motifs, registers []string) (*core.Collection, error) {
	if len(motifs) < 2 {
		// A select field with MaxSelect 1 is single-valued.
		return nil, fmt.Errorf("found %d distinct motifs: a multiple select needs at least 2", len(motifs))
	}
	if len(registers) == 0 {
		return nil, errors.New("no passage has a register")
	}
	col, err := app.FindCollectionByNameOrId(collectionName)
	if err != nil {
		col = core.NewBaseCollection(collectionName)
		// "": anyone may list and view, no auth needed (wrk sends none).
		col.ListRule = types.Pointer("")
		col.ViewRule = types.Pointer("")
		col.Fields.Add(
			&core.TextField{Name: "inkling_id", Required: true},
			&core.TextField{Name: "title"},
			&core.SelectField{Name: "register", MaxSelect: 1},
			&core.SelectField{Name: "motifs"},
			&core.TextField{Name: "work"},
			&core.JSONField{Name: "body"},
		)
		col.AddIndex("idx_passages_inkling_id", true, "`inkling_id`", "")
	}
	widen := func(name string, values []string) error {
		f, ok := col.Fields.GetByName(name).(*core.SelectField)
		if !ok {
			return fmt.Errorf("collection %s: field %s is not a select", collectionName, name)
		}
		for _, v := range values {
			if !slices.Contains(f.Values, v) {
				f.Values = append(f.Values, v)
			}
		}
		if name == "motifs" {
			f.MaxSelect = len(f.Values)
		}
		return nil
	}
	if err := widen("register", registers); err != nil {
		return nil, err
	}
	if err := widen("motifs", motifs); err != nil {
		return nil, err
	}
	if err := app.Save(col); err != nil {
		return nil, fmt.Errorf("saving collection %s: %w", collectionName, err)
	}
	return col, nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/media"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/plugins/cslewis"
	"github.com/urfave/cli/v3"
)

func seedCommand() *cli.Command {
	return &cli.Command{
		Name:  "seed",
		Usage: "load demo or benchmark data of the C.S. Lewis plugin",
		Commands: []*cli.Command{
			{
				Name:  "demo",
				Usage: "a few works (one without audio rights), ~50 passages, a 200-motif vocabulary and a week of daily drops around today; invented text, safe to share",
				Flags: mediaFlags(),
				Action: func(ctx context.Context, c *cli.Command) error {
					return withSeeder(ctx, c, func(s *seeder) error {
						// A short silent reading, stored like any upload, stands in
						// for narration: every demo passage has an audio asset.
						log, err := newLogger(c, io.Discard)
						if err != nil {
							return err
						}
						m, err := openMedia(ctx, c, s.db, nil, nil, log)
						if err != nil {
							return err
						}
						a, err := m.Put(ctx, auth.System, media.Upload{Filename: "demo-reading.mp3", ContentType: "audio/mpeg", Data: silentMP3(2)})
						if err != nil {
							return fmt.Errorf("storing the demo audio: %w", err)
						}
						s.audioKey = a.Key
						return s.demo(ctx, c.Root().Writer)
					})
				},
			},
			{
				Name:  "bench",
				Usage: "a large synthetic set of passages for benchmarks",
				Flags: []cli.Flag{&cli.IntFlag{Name: "passages", Value: 20000, Usage: "how many passages"},
					&cli.IntFlag{Name: "workers", Usage: "passages created and published concurrently (default: 4 on PostgreSQL, 1 on SQLite, whose single writer gains nothing)"}},
				Action: func(ctx context.Context, c *cli.Command) error {
					return withSeeder(ctx, c, func(s *seeder) error {
						return s.bench(ctx, c.Root().Writer, int(c.Int("passages")), int(c.Int("workers")))
					})
				},
			},
		},
	}
}

type seeder struct {
	db       *store.DB
	svc      *entries.Service
	rng      *rand.Rand
	audioKey string // the demo's audio asset
}

// silentMP3 is about seconds of MPEG-1 Layer III silence (128 kbit/s,
// 44.1 kHz: 417-byte frames whose payload is all zero).
func silentMP3(seconds int) []byte {
	frames := seconds * 44100 / 1152
	out := make([]byte, 0, frames*417)
	for range frames {
		frame := make([]byte, 417)
		copy(frame, []byte{0xFF, 0xFB, 0x90, 0x64})
		out = append(out, frame...)
	}
	return out
}

func withSeeder(ctx context.Context, c *cli.Command, fn func(*seeder) error) error {
	db, err := openDB(ctx, c, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	types := registry.New(db)
	if err := types.Load(ctx); err != nil {
		return err
	}
	// The plugin's types, registered as the plugin's (the running plugin
	// then finds them unchanged).
	for _, ct := range cslewis.Plugin().ContentTypes {
		if _, err := types.Register(ctx, ct, &registry.RegisterOptions{Source: "cslewis"}); err != nil {
			return fmt.Errorf("registering %s: %w", ct.Key, err)
		}
	}
	return fn(&seeder{db: db, svc: entries.New(db, types, auth.New(db, nil), nil), rng: rand.New(rand.NewPCG(1898, 1963))})
}

// publish creates and publishes an entry as the system.
func (s *seeder) publish(ctx context.Context, typ, title, slug string, fields map[string]any) (string, error) {
	b, _ := json.Marshal(fields)
	d, err := s.svc.Create(ctx, auth.System, entries.CreateInput{Type: typ, Title: title, Slug: slug, Fields: b})
	if err != nil {
		return "", fmt.Errorf("seeding %s %q: %w", typ, title, err)
	}
	if _, err := s.svc.Publish(ctx, auth.System, d.ID, entries.PublishInput{}); err != nil {
		return "", fmt.Errorf("publishing %s %q: %w", typ, title, err)
	}
	return d.ID, nil
}

// Invented material "in the spirit of" the Inklings: no quotation of
// copyrighted text.
var (
	motifRoots = strings.Fields(`joy longing grace mercy light darkness wood water stone fire wind wonder sorrow hope faith door
garden road kingdom child home journey shadow morning evening silence song tears laughter forgiveness pride humility
courage fear love friendship memory heaven hell choice glory death`)
	motifAspects = strings.Fields(`remembered hidden given lost found`)
	openings     = []string{"There is a kind of", "I have come to think that", "Every", "We are told that", "It was in the", "No one who has known"}
	middles      = []string{"which waits behind the ordinary door of the day", "that grows quieter as it grows deeper",
		"we mistake for the end of the road when it is the beginning", "that does not ask to be understood before it is loved",
		"which the heart recognises long before the mind can name it", "that makes the far hills look like home"}
	closings = []string{"and that, I think, is where wonder begins.", "and we are nearer to it than we suppose.",
		"and the whole world is the larger for it.", "and it is not lost, only kept.", "and the morning will not be late."}
)

// motifs is the managed vocabulary: 200 terms.
func motifs() []string {
	out := make([]string, 0, len(motifRoots)*len(motifAspects))
	for _, r := range motifRoots {
		out = append(out, r)
		for _, a := range motifAspects[:4] {
			out = append(out, r+"-"+a)
		}
	}
	return out[:200]
}

func (s *seeder) paragraph() string {
	var b strings.Builder
	for i := 0; i < 2+s.rng.IntN(2); i++ {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(openings[s.rng.IntN(len(openings))] + " " + motifRoots[s.rng.IntN(len(motifRoots))] + " " +
			middles[s.rng.IntN(len(middles))] + ", " + closings[s.rng.IntN(len(closings))])
	}
	return b.String()
}

func (s *seeder) pick(vocab []string, n int) []string {
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		t := vocab[s.rng.IntN(len(vocab))]
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

type demoWork struct {
	title, slug, kind string
	year              int
	audio             bool
}

var demoWorks = []demoWork{
	{"The Lantern Road", "the-lantern-road", "book", 1941, true},
	{"Letters to a Young Gardener", "letters-to-a-young-gardener", "letters", 1947, true},
	{"The Quiet Country", "the-quiet-country", "essay_collection", 1952, true},
	{"The Silver Wardrobe", "the-silver-wardrobe", "book", 1950, false}, // no audio rights, like the Narnia books
}

func (s *seeder) demo(ctx context.Context, w io.Writer) error {
	if existing, _ := s.svc.List(ctx, auth.System, entries.ListParams{Type: "work", Limit: 1}); len(existing) > 0 {
		fmt.Fprintln(w, "demo data is already present; nothing to do")
		return nil
	}
	vocab := motifs()
	var works []string
	for _, dw := range demoWorks {
		id, err := s.publish(ctx, "work", dw.title, dw.slug, map[string]any{"author": "C. S. Lewis (demo)", "year": dw.year, "kind": dw.kind,
			"rights": map[string]any{"audio_allowed": dw.audio, "excerpts_allowed": true, "notes": "Invented demo work."},
			"purchase_links": []any{
				map[string]any{"label": "Independent bookshop", "url": "https://bookshop.example/" + dw.slug, "retailer": "Bookshop", "affiliate": true},
				map[string]any{"label": "Library", "url": "https://library.example/search?q=" + dw.slug},
			},
			"description": "An invented work for the demo data set. *Nothing here is quoted.*"})
		if err != nil {
			return err
		}
		works = append(works, id)
	}
	var passages []string
	byRegister := map[string][]string{}
	for i := 0; i < 50; i++ {
		wi := s.rng.IntN(len(works))
		reg := cslewis.Registers[i%len(cslewis.Registers)]
		fields := map[string]any{"work": works[wi], "register": reg, "chapter": strconv.Itoa(1 + s.rng.IntN(16)),
			"motifs": s.pick(vocab, 3+s.rng.IntN(4)), "tag_review": map[string]any{"status": "reviewed"},
			"body": []any{
				map[string]any{"type": "paragraph", "value": s.paragraph()},
				map[string]any{"type": "quote", "value": map[string]any{"text": s.paragraph(), "attribution": demoWorks[wi].title}},
			}}
		// Every passage has an audio asset; for the work without audio
		// rights, apps must not get it.
		if s.audioKey != "" {
			fields["audio"] = s.audioKey
		}
		id, err := s.publish(ctx, "passage", fmt.Sprintf("%s, reading %d", demoWorks[wi].title, i+1), "", fields)
		if err != nil {
			return err
		}
		passages = append(passages, id)
		byRegister[reg] = append(byRegister[reg], id)
	}
	today := time.Now().UTC()
	drops := 0
	for d := -3; d <= 3; d++ {
		date := today.AddDate(0, 0, d).Format(time.DateOnly)
		for ri, reg := range cslewis.Registers {
			list := byRegister[reg]
			p := list[(d+3+ri)%len(list)]
			if _, err := s.publish(ctx, "daily_drop", fmt.Sprintf("%s, %s", date, reg), "", map[string]any{"date": date, "register": reg, "passage": p,
				"note": "Today's reading."}); err != nil {
				return err
			}
			drops++
		}
	}
	fmt.Fprintf(w, "seeded %d works, %d passages (%d-motif vocabulary), %d daily drops (%s to %s)\n", len(works), len(passages), len(vocab), drops,
		today.AddDate(0, 0, -3).Format(time.DateOnly), today.AddDate(0, 0, 3).Format(time.DateOnly))
	fmt.Fprintln(w, "try: curl 'http://127.0.0.1:8080/api/v1/today?register=devotional'")
	return nil
}

func (s *seeder) bench(ctx context.Context, w io.Writer, n, workers int) error {
	switch {
	case workers < 0:
		return fmt.Errorf("--workers: expected at least 1, got %d", workers)
	case workers == 0 && s.db.Backend == store.Postgres:
		workers = 4 // 3,000 passages: 1.84× the rate of one worker, on 2 cores
	case workers == 0:
		workers = 1
	}
	vocab := motifs()
	var works []string
	for i := 0; i < 10; i++ {
		id, err := s.publish(ctx, "work", fmt.Sprintf("Bench work %d", i), "", map[string]any{"year": 1930 + i*3, "kind": "book",
			"rights": map[string]any{"audio_allowed": i%4 != 0}})
		if err != nil {
			return err
		}
		works = append(works, id)
	}
	// The passages are drawn here, in order (the same data for the same
	// n), and created and published by the workers: the entries service
	// is CPU-bound per entry, so on PostgreSQL the workers overlap.
	type passage struct {
		title  string
		fields map[string]any
	}
	drawn := make(chan passage, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(drawn)
		for i := 0; i < n; i++ {
			p := passage{title: fmt.Sprintf("Passage %d", i), fields: map[string]any{
				"work": works[s.rng.IntN(len(works))], "register": cslewis.Registers[s.rng.IntN(len(cslewis.Registers))],
				"motifs": s.pick(vocab, 3+s.rng.IntN(5)), "chapter": strconv.Itoa(1 + s.rng.IntN(30)),
				"body": []any{map[string]any{"type": "paragraph", "value": s.paragraph()},
					map[string]any{"type": "quote", "value": map[string]any{"text": s.paragraph()}}}}}
			select {
			case drawn <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	var done atomic.Int64
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range drawn {
				if _, err := s.publish(ctx, "passage", p.title, "", p.fields); err != nil {
					errs <- err
					cancel()
					return
				}
				done.Add(1)
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	start := time.Now()
	progress := func() {
		k := done.Load()
		frac := float64(k) / float64(max(n, 1))
		bar := strings.Repeat("█", int(frac*30)) + strings.Repeat("·", 30-int(frac*30))
		rate := float64(k) / max(time.Since(start).Seconds(), 1e-9)
		eta := time.Duration(0)
		if rate > 0 {
			eta = time.Duration(float64(n-int(k))/rate) * time.Second
		}
		fmt.Fprintf(w, "\rseeding passages %s %6d/%d  %4.0f/s  eta %s   ", bar, k, n, rate, eta.Round(time.Second))
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			progress()
			continue
		case <-finished:
		}
		break
	}
	progress()
	fmt.Fprintln(w)
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// Command inkling-bench is the load harness behind `make bench`: it seeds N
// passages into a fresh data dir (SQLite, or a throwaway PostgreSQL with
// -db postgres), starts the real `inkling serve`, and measures it with wrk
// over loopback — cached and uncached, get-one, a filtered list and the
// related endpoint (in-memory index and SQL ranker) — next to a bare fiber
// handler returning the same bytes (the ceiling), all in one run on the same
// machine. Unless -pocketbase=false it also exports the seeded passages
// through the delivery API, imports them into a stock PocketBase (the nested
// module ./pocketbase, built into the temp dir) and measures PocketBase's
// any-tag filter on the related scenario's sample passage: the baseline of
// the related endpoint. It prints req/s, p50/p95/p99 latency, response
// bytes, server peak RSS, and every number as a ratio of the ceiling or of
// PocketBase, because these machines are too noisy for absolute targets.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/testdb"
)

type options struct {
	db          string // sqlite or postgres
	dbURL       string
	passages    int
	duration    time.Duration
	connections int
	threads     int
	keep        bool
	pocketbase  bool
}

func main() {
	var o options
	flag.IntVar(&o.passages, "passages", 20000, "passages to seed")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "wrk duration per scenario")
	flag.IntVar(&o.connections, "c", 64, "wrk connections")
	flag.IntVar(&o.threads, "t", 2, "wrk threads")
	flag.BoolVar(&o.keep, "keep", false, "keep the data directory")
	flag.StringVar(&o.db, "db", "sqlite", "sqlite, or postgres (a throwaway server, as the tests start)")
	flag.BoolVar(&o.pocketbase, "pocketbase", true, "also measure PocketBase's any-tag filter on the same passages (the related baseline)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "inkling-bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install wrk)")
	}
	work, err := os.MkdirTemp("", "inkling-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "inkling")
	fmt.Println("building inkling…")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/inkling").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(work, "data")
	if o.db == "postgres" {
		pg, err := testdb.StartPostgres()
		if err != nil {
			return err
		}
		defer pg.Stop()
		o.dbURL = pg.URL("postgres")
		os.Setenv("INKLING_DATABASE_URL", o.dbURL)
		fmt.Println("postgres at", o.dbURL)
	}
	seed := exec.Command(bin, "--data", data, "seed", "bench", "--passages", strconv.Itoa(o.passages))
	seed.Stdout, seed.Stderr = os.Stdout, os.Stderr
	if err := seed.Run(); err != nil {
		return fmt.Errorf("inkling seed bench: %w", err)
	}
	sample, err := samplePassage(bin, data)
	if err != nil {
		return err
	}
	getPath := "/api/v1/content/passage/" + sample
	listPath := "/api/v1/content/passage?filter%5Bregister%5D=devotional&limit=20"
	relatedPath := "/api/v1/passages/" + sample + "/related?limit=20"

	var rows []result
	scenarios := []struct{ name, path string }{{"get-one", getPath}, {"list", listPath}, {"related", relatedPath}}
	for _, run := range []struct {
		label     string
		cached    bool
		env       []string
		scenarios []struct{ name, path string }
	}{
		{label: "cached", cached: true, scenarios: scenarios},
		{label: "uncached", scenarios: scenarios},
		// The baseline of the related index: one SQL query per ranking.
		{label: "uncached-sql", env: []string{"INKLING_RELATED_RANKER=sql"}, scenarios: scenarios[2:]},
	} {
		srv, err := startServer(bin, data, run.cached, run.env...)
		if err != nil {
			return err
		}
		label := run.label
		for _, sc := range run.scenarios {
			r, err := measure(o, srv, sc.path, label+" "+sc.name)
			if err != nil {
				srv.stop()
				return err
			}
			rows = append(rows, r)
		}
		srv.stop()
	}

	// The baseline of the related endpoint: PocketBase's any-tag filter on
	// the same passages.
	if o.pocketbase {
		pb, err := pocketbaseRows(o, work, bin, data, sample)
		if err != nil {
			return fmt.Errorf("pocketbase: %w", err)
		}
		rows = append(rows, pb...)
	}

	// The ceilings: a bare fiber handler returning the same bytes as each
	// scenario's response.
	ceil := map[string]result{}
	sizes := map[string]int{}
	for _, sc := range []struct{ name, path string }{{"get-one", getPath}, {"list", listPath}} {
		body, err := fetch(sc.path, bin, data)
		if err != nil {
			return err
		}
		r, err := ceiling(o, body)
		if err != nil {
			return err
		}
		ceil[sc.name], sizes[sc.name] = r, len(body)
		fmt.Printf("  %-37s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  (%d bytes)\n", "ceiling "+sc.name, r.rps, r.p50, r.p99, len(body))
	}
	fmt.Printf("\nResults (%d passages, wrk -t%d -c%d -d%s, loopback, same run):\n\n", o.passages, o.threads, o.connections, o.duration)
	fmt.Printf("| scenario (%s) | req/s | vs ceiling | p50 ms | p95 ms | p99 ms | non-2xx | response bytes | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", o.db)
	for _, name := range []string{"get-one", "list"} {
		c := ceil[name]
		fmt.Printf("| ceiling %s (bare fiber, same bytes) | %.0f | 1.00 | %.2f | %.2f | %.2f | %d | %d | — |\n", name, c.rps, c.p50, c.p95, c.p99, c.errors, sizes[name])
	}
	for _, r := range rows {
		ratio := "—"
		if c, ok := ceil[strings.Fields(r.name)[1]]; ok {
			ratio = fmt.Sprintf("%.2f", r.rps/c.rps)
		}
		fmt.Printf("| %s | %.0f | %s | %s | %s | %s | %d | %d | %.0f |\n", r.name, r.rps, ratio, ms(r.p50), ms(r.p95), ms(r.p99), r.errors, r.bytes, r.rssMiB)
	}
	byName := map[string]result{}
	for _, r := range rows {
		byName[r.name] = r
	}
	if idx, sql := byName["uncached related"], byName["uncached-sql related"]; sql.rps > 0 {
		fmt.Printf("\nuncached related, in-memory index against the SQL ranker: %.2f× the req/s, %.2f× the p95\n", idx.rps/sql.rps, idx.p95/sql.p95)
	}
	// The baseline is PocketBase at its fastest, with skipTotal: by
	// default it also counts every match per request, which at 20,000
	// passages times most requests out and makes any ratio meaningless.
	if pb, pbSkip := byName[pbRow], byName[pbSkipTotalRow]; pbSkip.rps > 0 {
		for _, name := range []string{"uncached related", "uncached-sql related"} {
			r, ok := byName[name]
			if !ok {
				continue
			}
			goal := ""
			if name == "uncached related" {
				goal = " (goal 5×)"
			}
			fmt.Printf("%s against PocketBase's any-tag filter with skipTotal (same run): %.2f× the req/s%s, %.2f× the p95; against its default (with the count): %.0f×\n",
				name, r.rps/pbSkip.rps, goal, r.p95/pbSkip.p95, r.rps/pb.rps)
		}
	}
	for _, r := range rows {
		if r.errors > 0 {
			fmt.Printf("note: %s: %d non-2xx responses or socket errors (wrk times a request out after 2 s); its req/s counts completed requests only\n", r.name, r.errors)
		}
	}
	return nil
}

// ms formats a latency; wrk reports none when every request timed out.
func ms(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", v)
}

// ---- seeding ----

// samplePassage picks a published passage (the middle of the first page).
func samplePassage(bin, data string) (string, error) {
	srv, err := startServer(bin, data, true)
	if err != nil {
		return "", err
	}
	defer srv.stop()
	resp, err := http.Get(srv.base + "/api/v1/content/passage?limit=50&sort=id")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || len(page.Items) == 0 {
		return "", fmt.Errorf("no passages to sample (%v)", err)
	}
	return page.Items[len(page.Items)/2].ID, nil
}

// ---- server ----

type server struct {
	cmd  *exec.Cmd
	base string
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startServer(bin, data string, cached bool, env ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr)
	cmd.Env = append(os.Environ(), "INKLING_CACHE="+strconv.FormatBool(cached), "INKLING_LOG_LEVEL=warn", "INKLING_SECRET_KEY=benchbenchbenchbenchbenchbenchbench")
	cmd.Env = append(cmd.Env, env...)
	return start(cmd, addr, "/readyz")
}

// start runs cmd, a server listening on addr, and waits until readyPath
// answers 200.
func start(cmd *exec.Cmd, addr, readyPath string) (*server, error) {
	s := &server{cmd: cmd, base: "http://" + addr}
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	if err := s.waitReady(readyPath); err != nil {
		return nil, err
	}
	return s, nil
}

// waitReady waits up to 30 s for path to answer 200, and stops the server
// if it does not.
func (s *server) waitReady(path string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.base + path); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return fmt.Errorf("%s: server not ready after 30 s", s.cmd.Path)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

// peakRSS is the server's high-water resident set (VmHWM), in MiB.
func (s *server) peakRSS() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(sc.Text())[1], 64)
			return kb / 1024
		}
	}
	return -1
}

// warm requests url 200 times and returns the size of the last response.
func warm(url string) (int, error) {
	var n int64
	for i := 0; i < 200; i++ {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err
		}
		n, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("%s: %d", url, resp.StatusCode)
		}
	}
	return int(n), nil
}

// measure warms srv's path up, runs wrk on it, and prints the row.
func measure(o options, srv *server, path, name string) (result, error) {
	size, err := warm(srv.base + path)
	if err != nil {
		return result{}, err
	}
	r, err := wrk(o, srv.base+path)
	if err != nil {
		return result{}, err
	}
	r.name, r.bytes, r.rssMiB = name, size, srv.peakRSS()
	fmt.Printf("  %-37s %9.0f req/s  p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  non-2xx %d  %d bytes  RSS %.0f MiB\n", r.name, r.rps, r.p50, r.p95, r.p99, r.errors, r.bytes, r.rssMiB)
	return r, nil
}

func fetch(path, bin, data string) ([]byte, error) {
	srv, err := startServer(bin, data, true)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	resp, err := http.Get(srv.base + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// ---- pocketbase ----

// The rows of PocketBase's any-tag filter, with and without its COUNT query.
const (
	pbRow          = "pocketbase any-tag filter"
	pbSkipTotalRow = "pocketbase any-tag filter (skipTotal)"
)

// pocketbaseRows exports the seeded passages from inkling, imports them
// into PocketBase (the nested module ./pocketbase, built into work) and
// measures PocketBase's any-tag filter on the sample's motifs.
func pocketbaseRows(o options, work, bin, data, sample string) ([]result, error) {
	ndjson := filepath.Join(work, "passages.ndjson")
	srv, err := startServer(bin, data, false)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	n, err := exportPassages(srv.base, ndjson)
	exported := time.Since(start)
	var motifs []string
	if err == nil {
		motifs, err = passageMotifs(srv.base, sample)
	}
	srv.stop()
	if err != nil {
		return nil, err
	}
	if n != o.passages {
		return nil, fmt.Errorf("exported %d passages from the delivery API, seeded %d", n, o.passages)
	}

	fmt.Println("building pocketbase…")
	pbBin := filepath.Join(work, "pocketbase")
	start = time.Now()
	build := exec.Command("go", "build", "-o", pbBin, ".")
	build.Dir = filepath.Join("cmd", "inkling-bench", "pocketbase")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	built := time.Since(start)
	pbData := filepath.Join(work, "pb_data")
	start = time.Now()
	imp := exec.Command(pbBin, "import", "--dir", pbData, "--file", ndjson)
	imp.Stdout, imp.Stderr = os.Stdout, os.Stderr
	if err := imp.Run(); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	fmt.Printf("pocketbase: %d passages exported from inkling in %s, built in %s, imported in %s\n",
		n, exported.Round(time.Millisecond), built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	srv, err = startPocketBase(pbBin, pbData)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	path := "/api/collections/passages/records?" + anyTagQuery(motifs, sample)
	fmt.Println("pocketbase any-tag filter:", path)
	total, err := checkAnyTag(srv.base+path, motifs, sample)
	if err != nil {
		return nil, err
	}
	fmt.Printf("  %d passages share a motif with %s (20 per page)\n", total, sample)
	var rows []result
	for _, sc := range []struct{ name, path string }{{pbRow, path}, {pbSkipTotalRow, path + "&skipTotal=1"}} {
		r, err := measure(o, srv, sc.path, sc.name)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// exportPassages writes every published passage, as the delivery API
// returns it, to file (one JSON object a line), and returns how many.
func exportPassages(base, file string) (int, error) {
	f, err := os.Create(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var line bytes.Buffer
	n := 0
	for cursor := ""; ; {
		u := base + "/api/v1/content/passage?limit=100&sort=id"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor *string           `json:"next_cursor"`
		}
		if err := getJSON(u, &page); err != nil {
			return n, fmt.Errorf("exporting passages: %w", err)
		}
		for _, it := range page.Items {
			line.Reset()
			if err := json.Compact(&line, it); err != nil {
				return n, fmt.Errorf("exporting passages: %w", err)
			}
			line.WriteByte('\n')
			if _, err := w.Write(line.Bytes()); err != nil {
				return n, err
			}
			n++
		}
		if page.NextCursor == nil || len(page.Items) == 0 {
			break
		}
		cursor = *page.NextCursor
	}
	if err := w.Flush(); err != nil {
		return n, err
	}
	return n, f.Close()
}

// passageMotifs is a published passage's fields.motifs.
func passageMotifs(base, id string) ([]string, error) {
	var p struct {
		Fields struct {
			Motifs []string `json:"motifs"`
		} `json:"fields"`
	}
	if err := getJSON(base+"/api/v1/content/passage/"+url.PathEscape(id), &p); err != nil {
		return nil, err
	}
	if len(p.Fields.Motifs) == 0 {
		return nil, fmt.Errorf("passage %s has no motifs", id)
	}
	return p.Fields.Motifs, nil
}

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// anyTagQuery is the query string of PocketBase's list API for 20
// passages sharing any of motifs, other than the seed. On a multiple
// select, ":each" makes "?=" compare each item: "motifs?=" would compare
// the column's JSON text, and "motifs~" is a substring match on it.
func anyTagQuery(motifs []string, seed string) string {
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
	clauses := make([]string, len(motifs))
	for i, m := range motifs {
		clauses[i] = "motifs:each?=" + quote(m)
	}
	filter := "(" + strings.Join(clauses, "||") + ")&&inkling_id!=" + quote(seed)
	return "perPage=20&filter=" + url.QueryEscape(filter)
}

// checkAnyTag fetches the any-tag page once and checks that it holds 20
// passages, each sharing a motif with the seed and none the seed; it
// returns how many passages match in all.
func checkAnyTag(u string, motifs []string, seed string) (int, error) {
	var page struct {
		TotalItems int `json:"totalItems"`
		Items      []struct {
			InklingID string   `json:"inkling_id"`
			Motifs    []string `json:"motifs"`
		} `json:"items"`
	}
	if err := getJSON(u, &page); err != nil {
		return 0, err
	}
	if len(page.Items) != 20 {
		return 0, fmt.Errorf("any-tag filter: %d items, want 20 (%d in all)", len(page.Items), page.TotalItems)
	}
	for _, it := range page.Items {
		if it.InklingID == seed {
			return 0, fmt.Errorf("any-tag filter: the seed %s is in the page", seed)
		}
		if !slices.ContainsFunc(it.Motifs, func(m string) bool { return slices.Contains(motifs, m) }) {
			return 0, fmt.Errorf("any-tag filter: %s (motifs %v) shares none of %v", it.InklingID, it.Motifs, motifs)
		}
	}
	return page.TotalItems, nil
}

// startPocketBase serves the PocketBase data dir dir on a free port.
func startPocketBase(bin, dir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return start(exec.Command(bin, "serve", "--dir", dir, "--http", addr), addr, "/api/health")
}

// ---- wrk ----

type result struct {
	name          string
	rps           float64
	p50, p95, p99 float64 // ms
	errors        int
	bytes         int // one response's body
	rssMiB        float64
}

var (
	reqRe    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	latRe    = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	sockRe   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// p95Script makes wrk print the 95th percentile (its --latency table
// stops at 50/75/90/99).
const p95Script = `done = function(summary, latency, requests)
  io.write(string.format("P95_US %d\n", latency:percentile(95)))
end`

var p95Re = regexp.MustCompile(`P95_US (\d+)`)

func wrk(o options, url string) (result, error) {
	script := filepath.Join(os.TempDir(), "inkling-bench-p95.lua")
	if err := os.WriteFile(script, []byte(p95Script), 0o644); err != nil {
		return result{}, err
	}
	out, err := exec.Command("wrk", "-t"+strconv.Itoa(o.threads), "-c"+strconv.Itoa(o.connections),
		"-d"+strconv.Itoa(int(o.duration.Seconds()))+"s", "--latency", "-s", script, url).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

func parseWrk(s string) (result, error) {
	var r result
	m := reqRe.FindStringSubmatch(s)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", s)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, l := range latRe.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		switch l[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if l[1] == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
	}
	if m := p95Re.FindStringSubmatch(s); m != nil {
		us, _ := strconv.ParseFloat(m[1], 64)
		r.p95 = us / 1000
	}
	if m := non2xxRe.FindStringSubmatch(s); m != nil {
		r.errors, _ = strconv.Atoi(m[1])
	}
	if m := sockRe.FindStringSubmatch(s); m != nil {
		for _, x := range m[1:] {
			n, _ := strconv.Atoi(x)
			r.errors += n
		}
	}
	return r, nil
}

// ceiling serves body from a bare fiber handler and measures it.
func ceiling(o options, body []byte) (result, error) {
	app := fiber.New()
	app.Get("/", func(c fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	go func() { _ = app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	defer app.Shutdown()
	url := "http://" + ln.Addr().String() + "/"
	if _, err := warm(url); err != nil {
		return result{}, err
	}
	r, err := wrk(o, url)
	r.name = "ceiling"
	return r, err
}

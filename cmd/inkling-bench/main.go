// Command inkling-bench is the load harness behind `make bench`: it seeds N
// passages into a fresh SQLite data dir, starts the real `inkling serve`,
// and measures it with wrk over loopback — cached and uncached, get-one and
// a filtered list — next to a bare fiber handler returning the same bytes
// (the ceiling), all in one run on the same machine. It prints req/s,
// p50/p99 latency, server peak RSS, and every number as a ratio of the
// ceiling, because these machines are too noisy for absolute targets.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
}

func main() {
	var o options
	flag.IntVar(&o.passages, "passages", 20000, "passages to seed")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "wrk duration per scenario")
	flag.IntVar(&o.connections, "c", 64, "wrk connections")
	flag.IntVar(&o.threads, "t", 2, "wrk threads")
	flag.BoolVar(&o.keep, "keep", false, "keep the data directory")
	flag.StringVar(&o.db, "db", "sqlite", "sqlite, or postgres (a throwaway server, as the tests start)")
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
			if err := warm(srv.base + sc.path); err != nil {
				srv.stop()
				return err
			}
			r, err := wrk(o, srv.base+sc.path)
			if err != nil {
				srv.stop()
				return err
			}
			r.name = label + " " + sc.name
			r.rssMiB = srv.peakRSS()
			rows = append(rows, r)
			fmt.Printf("  %-18s %9.0f req/s  p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  non-2xx %d  RSS %.0f MiB\n", r.name, r.rps, r.p50, r.p95, r.p99, r.errors, r.rssMiB)
		}
		srv.stop()
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
		fmt.Printf("  %-18s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  (%d bytes)\n", "ceiling "+sc.name, r.rps, r.p50, r.p99, len(body))
	}
	fmt.Printf("\nResults (%d passages, wrk -t%d -c%d -d%s, loopback, same run):\n\n", o.passages, o.threads, o.connections, o.duration)
	fmt.Printf("| scenario (%s) | req/s | vs ceiling | p50 ms | p95 ms | p99 ms | non-2xx | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|\n", o.db)
	for _, name := range []string{"get-one", "list"} {
		c := ceil[name]
		fmt.Printf("| ceiling %s (bare fiber, same %d bytes) | %.0f | 1.00 | %.2f | %.2f | %.2f | %d | — |\n", name, sizes[name], c.rps, c.p50, c.p95, c.p99, c.errors)
	}
	for _, r := range rows {
		ratio := "—"
		if c, ok := ceil[strings.Fields(r.name)[1]]; ok {
			ratio = fmt.Sprintf("%.2f", r.rps/c.rps)
		}
		fmt.Printf("| %s | %.0f | %s | %.2f | %.2f | %.2f | %d | %.0f |\n", r.name, r.rps, ratio, r.p50, r.p95, r.p99, r.errors, r.rssMiB)
	}
	byName := map[string]result{}
	for _, r := range rows {
		byName[r.name] = r
	}
	if idx, sql := byName["uncached related"], byName["uncached-sql related"]; sql.rps > 0 {
		fmt.Printf("\nuncached related, in-memory index against the SQL ranker: %.2f× the req/s, %.2f× the p95\n", idx.rps/sql.rps, idx.p95/sql.p95)
	}
	return nil
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
	s := &server{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	s.cmd = exec.Command(bin, "serve", "--data", data, "--addr", fmt.Sprintf("127.0.0.1:%d", port))
	s.cmd.Env = append(os.Environ(), "INKLING_CACHE="+strconv.FormatBool(cached), "INKLING_LOG_LEVEL=warn", "INKLING_SECRET_KEY=benchbenchbenchbenchbenchbenchbench")
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("server not ready")
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

func warm(url string) error {
	for i := 0; i < 200; i++ {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s: %d", url, resp.StatusCode)
		}
	}
	return nil
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

// ---- wrk ----

type result struct {
	name          string
	rps           float64
	p50, p95, p99 float64 // ms
	errors        int
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
	if err := warm(url); err != nil {
		return result{}, err
	}
	r, err := wrk(o, url)
	r.name = "ceiling"
	return r, err
}

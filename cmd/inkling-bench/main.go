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
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
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
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/plugins/cslewis"
)

type options struct {
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
	sample, err := seed(data, o.passages)
	if err != nil {
		return err
	}
	getPath := "/api/v1/content/passage/" + sample
	listPath := "/api/v1/content/passage?filter%5Bregister%5D=devotional&limit=20"

	var rows []result
	for _, cached := range []bool{true, false} {
		srv, err := startServer(bin, data, cached)
		if err != nil {
			return err
		}
		label := "uncached"
		if cached {
			label = "cached"
		}
		for _, sc := range []struct{ name, path string }{{"get-one", getPath}, {"list", listPath}} {
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
			fmt.Printf("  %-18s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  non-2xx %d  RSS %.0f MiB\n", r.name, r.rps, r.p50, r.p99, r.errors, r.rssMiB)
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
	fmt.Printf("| scenario | req/s | vs ceiling | p50 ms | p99 ms | non-2xx | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range []string{"get-one", "list"} {
		c := ceil[name]
		fmt.Printf("| ceiling %s (bare fiber, same %d bytes) | %.0f | 1.00 | %.2f | %.2f | %d | — |\n", name, sizes[name], c.rps, c.p50, c.p99, c.errors)
	}
	for _, r := range rows {
		c := ceil[strings.Fields(r.name)[1]]
		fmt.Printf("| %s | %.0f | %.2f | %.2f | %.2f | %d | %.0f |\n", r.name, r.rps, r.rps/c.rps, r.p50, r.p99, r.errors, r.rssMiB)
	}
	return nil
}

// ---- seeding ----

var words = strings.Fields(`joy longing grace mercy light darkness wood water stone fire wind wonder sorrow hope faith door
garden road kingdom child old new deep far near quiet song silence home journey shadow morning evening`)

func sentence(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = words[r.IntN(len(words))]
	}
	s := strings.Join(w, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// seed creates and publishes n passages of the cslewis plugin (and the
// works they quote) through the engine's own services — the same
// validation, revisions and projections as the API — and returns one
// passage id. The types are registered as the plugin's, so the server's
// cslewis plugin finds them unchanged.
func seed(dir string, n int) (string, error) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return "", err
	}
	types := registry.New(db)
	for _, ct := range cslewis.Plugin().ContentTypes {
		if _, err := types.Register(ctx, ct, &registry.RegisterOptions{Source: "cslewis"}); err != nil {
			return "", err
		}
	}
	svc := entries.New(db, types, auth.New(db, nil), nil)
	r := rand.New(rand.NewPCG(7, 11))
	var works []string
	for i := 0; i < 10; i++ {
		f, _ := json.Marshal(map[string]any{"year": 1930 + i*3, "kind": "book", "rights": map[string]any{"audio_allowed": i%4 != 0}})
		d, err := svc.Create(ctx, auth.System, entries.CreateInput{Type: "work", Title: fmt.Sprintf("Work %d", i), Fields: f})
		if err == nil {
			_, err = svc.Publish(ctx, auth.System, d.ID, entries.PublishInput{})
		}
		if err != nil {
			return "", err
		}
		works = append(works, d.ID)
	}
	start := time.Now()
	var sample string
	for i := 0; i < n; i++ {
		var motifs []string
		for j := 0; j < 3+r.IntN(4); j++ {
			motifs = append(motifs, words[r.IntN(len(words))])
		}
		body := []any{
			map[string]any{"type": "paragraph", "value": sentence(r, 40) + " " + sentence(r, 30)},
			map[string]any{"type": "quote", "value": map[string]any{"text": sentence(r, 15), "attribution": "Chapter " + strconv.Itoa(1+r.IntN(20))}},
			map[string]any{"type": "paragraph", "value": sentence(r, 50)},
		}
		f, _ := json.Marshal(map[string]any{"register": cslewis.Registers[r.IntN(len(cslewis.Registers))], "motifs": motifs,
			"work": works[r.IntN(len(works))], "chapter": strconv.Itoa(1 + r.IntN(30)), "body": body})
		d, err := svc.Create(ctx, auth.System, entries.CreateInput{Type: "passage", Title: fmt.Sprintf("Passage %d: %s", i, sentence(r, 4)), Fields: f})
		if err != nil {
			return "", err
		}
		if _, err := svc.Publish(ctx, auth.System, d.ID, entries.PublishInput{}); err != nil {
			return "", err
		}
		if i == n/2 {
			sample = d.ID
		}
		if (i+1)%1000 == 0 || i+1 == n {
			el := time.Since(start)
			fmt.Printf("\rseeding passages: %d/%d (%.0f/s)   ", i+1, n, float64(i+1)/el.Seconds())
		}
	}
	fmt.Println()
	return sample, nil
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

func startServer(bin, data string, cached bool) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	s.cmd = exec.Command(bin, "serve", "--data", data, "--addr", fmt.Sprintf("127.0.0.1:%d", port))
	s.cmd.Env = append(os.Environ(), "INKLING_CACHE="+strconv.FormatBool(cached), "INKLING_LOG_LEVEL=warn", "INKLING_SECRET_KEY=benchbenchbenchbenchbenchbenchbench")
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
	name     string
	rps      float64
	p50, p99 float64 // ms
	errors   int
	rssMiB   float64
}

var (
	reqRe    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	latRe    = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	sockRe   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func wrk(o options, url string) (result, error) {
	out, err := exec.Command("wrk", "-t"+strconv.Itoa(o.threads), "-c"+strconv.Itoa(o.connections),
		"-d"+strconv.Itoa(int(o.duration.Seconds()))+"s", "--latency", url).CombinedOutput()
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

// Package testdb gives tests real databases: a fresh SQLite file, or a fresh
// database inside a throwaway PostgreSQL server that the test package starts
// on a free loopback port (initdb + pg_ctl; as root through `runuser -u
// postgres`, since PostgreSQL refuses to run as root).
//
// A package that uses Postgres calls Main from TestMain so the server is
// stopped when the package's tests end:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
// When the PostgreSQL binaries are missing, Postgres skips the test with a
// loud message, unless INKLING_REQUIRE_SERVICES is set (as in CI), where it
// fails instead.
package testdb

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/store"
)

// RequireServices reports whether INKLING_REQUIRE_SERVICES asks that no
// integration test skip.
func RequireServices() bool {
	v := os.Getenv("INKLING_REQUIRE_SERVICES")
	return v != "" && v != "0" && v != "false"
}

// Unavailable skips (or, when services are required, fails) the test.
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s is not available: %v", what, err)
	if RequireServices() {
		t.Fatalf("%s (INKLING_REQUIRE_SERVICES is set, so this test may not skip)", msg)
	}
	t.Skipf("SKIPPING: %s (install it, or set INKLING_REQUIRE_SERVICES=1 to make this a failure)", msg)
}

// SQLite opens a migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// Postgres opens a migrated, fresh database in the package's throwaway
// PostgreSQL server.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	url := PostgresURL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return db
}

// PostgresURL creates a fresh, empty database in the package's throwaway
// server and returns its URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	srv, err := sharedServer()
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := srv.createDatabase(name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return srv.url(name)
}

var (
	dbSeq     atomic.Int64
	serverMu  sync.Mutex
	server    *PGServer
	serverErr error
)

func sharedServer() (*PGServer, error) {
	serverMu.Lock()
	defer serverMu.Unlock()
	if server == nil && serverErr == nil {
		server, serverErr = StartPostgres()
	}
	return server, serverErr
}

// Main runs the package's tests and then stops the shared servers.
func Main(m *testing.M) {
	code := m.Run()
	serverMu.Lock()
	if server != nil {
		server.Stop()
	}
	serverMu.Unlock()
	os.Exit(code)
}

// PGServer is a throwaway PostgreSQL cluster.
type PGServer struct {
	Dir  string
	Port int
	bin  string
	as   []string // "runuser -u postgres --" when root
}

func (s *PGServer) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// URL returns the URL of database db on this server.
func (s *PGServer) URL(db string) string { return s.url(db) }

// pgBinDir finds the newest PostgreSQL server binaries.
func pgBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no pg_ctl on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
}

func versionOf(dir string) int {
	var v int
	fmt.Sscanf(filepath.Base(filepath.Dir(dir)), "%d", &v)
	return v
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartPostgres initialises and starts a new cluster on a free port.
func StartPostgres() (*PGServer, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "inkling-pg-")
	if err != nil {
		return nil, err
	}
	s := &PGServer{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("runuser"); err != nil {
			return nil, fmt.Errorf("running as root needs runuser: %w", err)
		}
		if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown %s to postgres (is the postgres user present?): %v: %s", dir, err, out)
		}
		s.as = []string{"runuser", "-u", "postgres", "--"}
	}
	if err := s.run("initdb", "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres",
		"--no-sync", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A port taken between FreePort and start makes pg_ctl fail; retry.
	for attempt := 0; ; attempt++ {
		s.Port, err = FreePort()
		if err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", s.Port, dir)
		err = s.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-l", filepath.Join(dir, "pg.log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			return s, nil
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "pg.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%w\n%s", err, log)
		}
	}
}

func (s *PGServer) run(tool string, args ...string) error {
	argv := append(append([]string{}, s.as...), filepath.Join(s.bin, tool))
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, out)
	}
	return nil
}

func (s *PGServer) createDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, store.Config{URL: s.url("postgres"), MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+name) // name is generated above, never user input
	return err
}

// Stop stops the cluster immediately and removes its files.
func (s *PGServer) Stop() {
	_ = s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-m", "immediate", "-w", "stop")
	_ = os.RemoveAll(s.Dir)
}

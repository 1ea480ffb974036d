package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// S3Server is a throwaway S3-compatible server (versitygw with its POSIX
// backend, Apache-2.0) on a loopback port, storing objects in a temporary
// directory. Bucket exists when S3 returns.
type S3Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	Region    string
	AccessKey string
	SecretKey string
	Bucket    string
	Dir       string // the backend's root: Dir/Bucket/<key> are the objects
}

// S3 starts versitygw for this test and stops it when the test ends.
// Without versitygw the test skips loudly (or fails when
// INKLING_REQUIRE_SERVICES is set); install it with
// `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0`.
func S3(t testing.TB) *S3Server {
	t.Helper()
	bin, err := versitygw()
	if err != nil {
		Unavailable(t, "versitygw (S3)", err)
	}
	root := t.TempDir()
	s := &S3Server{Region: "us-east-1", AccessKey: "inkling-test", SecretKey: "inkling-test-secret-key", Bucket: "media", Dir: root}
	// The POSIX backend maps top-level directories to buckets.
	if err := os.Mkdir(filepath.Join(root, s.Bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
			"--port", addr, "posix", "--nometa", root)
		cmd.Stderr = os.Stderr // stdout is the access log
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting versitygw: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitListening(addr, exited, 15*time.Second); err != nil {
			_ = cmd.Process.Kill()
			if attempt < 2 {
				continue
			}
			t.Fatalf("versitygw did not start: %v", err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		s.Endpoint = "http://" + addr
		return s
	}
}

// versitygw finds the versitygw binary on PATH or in GOPATH/bin (where `go
// install` puts it).
func versitygw() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = string(trimNewline(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no versitygw on PATH or in GOPATH/bin (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// waitListening waits until addr accepts TCP connections, the process
// exits, or the timeout passes.
func waitListening(addr string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not listening on %s after %s", addr, timeout)
}

package testdb

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RedisServer is a throwaway redis-server on a loopback port, without
// persistence (no RDB snapshots, no AOF): a restart starts empty. Tests may
// Kill it and Start it again on the same port to simulate an outage.
type RedisServer struct {
	Port int
	Dir  string
	bin  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	exit chan struct{} // closed when cmd has exited
}

// Redis starts a Redis server for this test on a free port and stops it when
// the test ends. Without redis-server the test skips loudly (or fails when
// INKLING_REQUIRE_SERVICES is set).
func Redis(t testing.TB) *RedisServer {
	t.Helper()
	s, err := StartRedis()
	if err != nil {
		Unavailable(t, "Redis", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartRedis starts a Redis server on a free port; Stop stops it.
func StartRedis() (*RedisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("no redis-server on PATH (apt-get install redis-server): %w", err)
	}
	dir, err := os.MkdirTemp("", "inkling-redis-")
	if err != nil {
		return nil, err
	}
	s := &RedisServer{Dir: dir, bin: bin}
	// A port taken between FreePort and the start makes the start fail; retry.
	for attempt := 0; ; attempt++ {
		if s.Port, err = FreePort(); err != nil {
			break
		}
		if err = s.Start(); err == nil {
			return s, nil
		}
		if attempt == 2 {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

// Addr is host:port.
func (s *RedisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL is a redis:// URL of database 0.
func (s *RedisServer) URL() string { return "redis://" + s.Addr() + "/0" }

// Start starts the server on s.Port (again, after Kill) and waits until it
// answers PING.
func (s *RedisServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("redis-server is already running")
	}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", s.Dir, "--logfile", "redis.log")
	cmd.Dir = s.Dir
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	exit := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exit) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(s.Addr()); err == nil {
			s.cmd, s.exit = cmd, exit
			return nil
		}
		select {
		case <-exit:
			log, _ := os.ReadFile(s.Dir + "/redis.log")
			return fmt.Errorf("redis-server exited at start on port %d:\n%s", s.Port, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exit
			return fmt.Errorf("redis-server did not answer on port %d within 10s", s.Port)
		}
	}
}

// ping sends PING and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected PING reply %q", line)
	}
	return nil
}

// Kill stops the server abruptly (SIGKILL by pid), like a crash, and waits
// for it to exit. The port and directory stay for Start.
func (s *RedisServer) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exit
	s.cmd, s.exit = nil, nil
}

// Stop kills the server and removes its directory.
func (s *RedisServer) Stop() {
	s.Kill()
	_ = os.RemoveAll(s.Dir)
}

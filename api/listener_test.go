package api_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/api"
)

// TestListenerCloseUnused: at shutdown, a connection that never sent a
// byte is closed (fasthttp would wait for it until the read timeout),
// while one in the middle of a request is left to finish it.
func TestListenerCloseUnused(t *testing.T) {
	app := fiber.New(fiber.Config{ReadTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second})
	app.Get("/", func(c fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lln := api.LingeringListener(ln)
	go func() { _ = app.Listener(lln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	addr := ln.Addr().String()
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Wait until the server answers.
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/"); err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			t.Fatal("server not up")
		}
		time.Sleep(20 * time.Millisecond)
	}

	unused := dial()
	partial := dial()
	if _, err := io.WriteString(partial, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server reads the partial header

	if n := lln.CloseUnused(time.Hour); n != 0 {
		t.Fatalf("CloseUnused within the grace closed %d", n)
	}
	shut := make(chan error, 1)
	go func() { shut <- app.ShutdownWithTimeout(10 * time.Second) }()
	time.Sleep(100 * time.Millisecond)
	if n := lln.CloseUnused(0); n != 1 {
		t.Fatalf("CloseUnused closed %d connections, want 1 (the unused one)", n)
	}
	_ = unused.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := unused.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("the unused connection is still open: read %d, %v", n, err)
	}
	// The request under way finishes.
	if _, err := io.WriteString(partial, "\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = partial.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(partial), nil)
	if err != nil {
		t.Fatalf("the request under way: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Fatalf("the request under way: %d %q", resp.StatusCode, body)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown still waiting 5 s after the last request")
	}
}

package api

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Listener wraps the server's listener for two things fasthttp does not
// do:
//
//   - A lingering close. Closing a connection first half-closes it and
//     drains what the client is still sending (briefly, in the background)
//     before the full close. Without this, a response sent before the
//     request body was read — a 413 for an oversized upload — is often lost
//     to a TCP reset, because closing a socket with unread data resets it.
//     Go's net/http and nginx do the same; fasthttp does not.
//   - Closing unused connections at shutdown ([Listener.CloseUnused]).
//     fasthttp counts a connection that has not sent a byte yet as active,
//     so a client's spare connection (browsers preconnect; Go's transport
//     keeps the loser of a dial race) held a graceful shutdown up until the
//     read timeout, 30 s. net/http's Shutdown closes such connections.
type Listener struct {
	net.Listener
	mu     sync.Mutex
	unused map[*lingerConn]time.Time // accepted, nothing read yet: when accepted
}

// LingeringListener wraps ln (see [Listener]).
func LingeringListener(ln net.Listener) *Listener {
	return &Listener{Listener: ln, unused: map[*lingerConn]time.Time{}}
}

// Accept accepts a connection and tracks it until it sends a byte.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	lc := &lingerConn{TCPConn: tc, l: l}
	l.mu.Lock()
	l.unused[lc] = time.Now()
	l.mu.Unlock()
	return lc, nil
}

// CloseUnused closes the connections accepted at least grace ago that
// have not sent a byte, and returns how many. Call it while shutting down:
// such a connection has no request in flight, and clients retry a request
// on a connection closed before it was used.
func (l *Listener) CloseUnused(grace time.Duration) int {
	cutoff := time.Now().Add(-grace)
	var closing []*lingerConn
	l.mu.Lock()
	for c, at := range l.unused {
		if !at.After(cutoff) {
			closing = append(closing, c)
			delete(l.unused, c)
		}
	}
	l.mu.Unlock()
	for _, c := range closing {
		_ = c.TCPConn.Close() // at once: there is nothing to drain
	}
	return len(closing)
}

func (l *Listener) forget(c *lingerConn) {
	l.mu.Lock()
	delete(l.unused, c)
	l.mu.Unlock()
}

type lingerConn struct {
	*net.TCPConn
	l    *Listener
	used atomic.Bool // has read a byte
}

// Read reads, and stops tracking the connection as unused once it has
// sent something.
func (c *lingerConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	if n > 0 && !c.used.Load() {
		c.used.Store(true)
		c.l.forget(c)
	}
	return n, err
}

// Linger bounds how long and how much is drained after a close.
const (
	lingerTimeout = 2 * time.Second
	lingerBytes   = 16 << 20
)

func (c *lingerConn) Close() error {
	c.l.forget(c)
	if err := c.CloseWrite(); err != nil {
		return c.TCPConn.Close()
	}
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(lingerTimeout))
		_, _ = io.CopyN(io.Discard, c.TCPConn, lingerBytes)
		_ = c.TCPConn.Close()
	}()
	return nil
}

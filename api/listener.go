package api

import (
	"io"
	"net"
	"time"
)

// LingeringListener wraps ln so that closing a connection first half-closes
// it and drains what the client is still sending (briefly, in the
// background) before the full close. Without this, a response sent before
// the request body was read — a 413 for an oversized upload — is often lost
// to a TCP reset, because closing a socket with unread data resets it. Go's
// net/http and nginx do the same "lingering close"; fasthttp does not.
func LingeringListener(ln net.Listener) net.Listener { return lingerListener{ln} }

type lingerListener struct{ net.Listener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &lingerConn{TCPConn: tc}, nil
	}
	return c, nil
}

type lingerConn struct{ *net.TCPConn }

// Linger bounds how long and how much is drained after a close.
const (
	lingerTimeout = 2 * time.Second
	lingerBytes   = 16 << 20
)

func (c *lingerConn) Close() error {
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

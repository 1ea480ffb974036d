package api

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/gofiber/fiber/v3"
)

// Default HTTP caching of published responses: fresh for a minute, then
// served stale for five more while a CDN revalidates in the background.
const (
	DefaultMaxAge               = 60 * time.Second
	DefaultStaleWhileRevalidate = 5 * time.Minute
)

// etagOf is a strong validator: the same bytes give the same tag on every
// instance. It is the 64-bit xxHash of the body: a tag only has to tell
// versions of one URL apart, which 64 bits do, and SHA-256 of a 30 KB
// related list was 4% of an uncached request's CPU.
func etagOf(body []byte) string {
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], xxhash.Sum64(body))
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
}

// matchesETag implements If-None-Match (a list of tags, or *; weak
// comparison as RFC 9110 asks for If-None-Match).
func matchesETag(header, etag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag {
			return true
		}
	}
	return false
}

// sendPublic writes a published (public, cacheable) JSON response with a
// strong ETag, answering 304 when the client already has it.
func (s *Server) sendPublic(c fiber.Ctx, body []byte, etag string) error {
	return s.sendPublicAge(c, body, etag, 0)
}

// sendPublicAge is sendPublic with a max-age (0: the server's default).
func (s *Server) sendPublicAge(c fiber.Ctx, body []byte, etag string, maxAge time.Duration) error {
	if etag == "" {
		etag = etagOf(body)
	}
	c.Set(fiber.HeaderETag, etag)
	if maxAge <= 0 {
		c.Set(fiber.HeaderCacheControl, s.publicCC)
	} else {
		c.Set(fiber.HeaderCacheControl, fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d",
			int(maxAge.Seconds()), int(s.swr().Seconds())))
	}
	c.Set(fiber.HeaderVary, "Accept-Encoding, X-Inkling-Preview")
	if matchesETag(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(body)
}

func (s *Server) maxAge() time.Duration {
	if s.CacheMaxAge > 0 {
		return s.CacheMaxAge
	}
	return DefaultMaxAge
}

func (s *Server) swr() time.Duration {
	if s.CacheStaleWhileRevalidate > 0 {
		return s.CacheStaleWhileRevalidate
	}
	return DefaultStaleWhileRevalidate
}

// Package substackfake is a local stand-in for a Substack publication's
// RSS feed (https://NAME.substack.com/feed), for tests: an HTTP server on a
// free loopback port that serves an RSS 2.0 document shaped like the one
// Substack publishes (CDATA titles and bodies, guid isPermaLink="false",
// dc:creator, an image enclosure, content:encoded HTML), answers
// conditional GETs with 304, and can be told to fail (always, or for the
// next few requests, with a Retry-After on 429 and 503).
//
//	srv, err := substackfake.Start()
//	...
//	defer srv.Close()
//	srv.SetItems(substackfake.SampleItems()...)
//	// point the plugin's feed_url setting at srv.FeedURL()
//
// It is safe for concurrent use.
package substackfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// FeedPath is the path the feed is served at, as on Substack.
const FeedPath = "/feed"

// Channel describes the publication.
type Channel struct {
	Title       string
	Description string
	// Link is the publication's home page, e.g. https://name.substack.com.
	Link   string
	Author string
}

// Item is one post of the feed.
type Item struct {
	Title string
	// Subtitle is the post's subtitle: Substack's <description>.
	Subtitle string
	// Link is the post's URL, https://NAME.substack.com/p/SLUG.
	Link string
	// GUID defaults to Link (Substack's guid is the post URL, with
	// isPermaLink="false").
	GUID    string
	Creator string
	PubDate time.Time
	// Body is the post's HTML: <content:encoded>. Empty leaves the
	// element out.
	Body string
	// ImageURL, when set, is the cover image, sent as an image enclosure.
	ImageURL string
}

// Server is the fake feed.
type Server struct {
	ln  net.Listener
	srv *http.Server

	mu          sync.Mutex
	channel     Channel
	items       []Item
	failStatus  int
	failNext    []int // statuses of the next requests, first first
	retryAfter  string
	raw         []byte
	noETag      bool
	requests    int
	notModified int
	lastHeaders http.Header
}

// Start serves an empty feed of a sample publication on a free port of
// 127.0.0.1.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("substackfake: listening on a loopback port: %w", err)
	}
	s := &Server{ln: ln, channel: SampleChannel()}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // returns http.ErrServerClosed on Close
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// URL is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// FeedURL is the URL of the feed, URL()+"/feed".
func (s *Server) FeedURL() string { return s.URL() + FeedPath }

// SetChannel replaces the publication's description.
func (s *Server) SetChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channel = c
}

// SetItems replaces the feed's items (newest first, as Substack lists
// them).
func (s *Server) SetItems(items ...Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = slices.Clone(items)
}

// Items returns the feed's items.
func (s *Server) Items() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.items)
}

// UpdateItem applies edit to the item with guid (or link) id and reports
// whether there was one.
func (s *Server) UpdateItem(id string, edit func(*Item)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.items {
		if s.items[i].guid() == id {
			edit(&s.items[i])
			return true
		}
	}
	return false
}

// FailWith makes every request answer status (a 4xx or 5xx) with a short
// text body; 0 serves the feed again.
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus = status
}

// FailNext makes the next n requests answer status (a 4xx or 5xx), after
// any failures queued before; then the feed is served again (unless
// FailWith says otherwise). Queued failures take precedence over
// FailWith.
//
//	srv.FailNext(1, http.StatusTooManyRequests)
//	srv.FailNext(1, http.StatusInternalServerError) // then the feed
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, status)
	}
}

// SetRetryAfter sets the Retry-After header of the failures (FailWith,
// FailNext) with status 429 or 503: delay-seconds ("120") or an HTTP date
// (http.TimeFormat); "" sends none.
func (s *Server) SetRetryAfter(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = v
}

// ServeRaw makes the feed answer 200 with body as it is (malformed XML, an
// HTML page...); nil serves the feed again.
func (s *Server) ServeRaw(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw = slices.Clone(body)
}

// DisableETag stops the server from sending ETag and Last-Modified (and so
// from answering 304), as a feed behind a cache that strips them would.
func (s *Server) DisableETag(disable bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noETag = disable
}

// Requests counts the requests served so far.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// NotModified counts the requests answered 304 Not Modified.
func (s *Server) NotModified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notModified
}

// LastRequestHeader returns a header of the last request (User-Agent,
// If-None-Match...).
func (s *Server) LastRequestHeader(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastHeaders.Get(name)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.lastHeaders = r.Header.Clone()
	status, raw, noETag, retryAfter := s.failStatus, s.raw, s.noETag, s.retryAfter
	if len(s.failNext) > 0 && r.URL.Path == FeedPath {
		status, s.failNext = s.failNext[0], s.failNext[1:]
	}
	var body []byte
	var modified time.Time
	var err error
	if raw == nil && status == 0 {
		body, err = render(s.channel, s.items)
		modified = lastModified(s.items)
	}
	s.mu.Unlock()

	switch {
	case r.URL.Path != FeedPath:
		http.NotFound(w, r)
		return
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case status != 0:
		if retryAfter != "" && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, fmt.Sprintf("substackfake: failing with %d as told", status), status)
		return
	case raw != nil:
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_, _ = w.Write(raw)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	if !noETag {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		if !modified.IsZero() {
			w.Header().Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
		}
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			s.mu.Lock()
			s.notModified++
			s.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	_, _ = w.Write(body)
}

// etagMatches implements the weak comparison of If-None-Match.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

func (it Item) guid() string {
	if it.GUID != "" {
		return it.GUID
	}
	return it.Link
}

func lastModified(items []Item) time.Time {
	var t time.Time
	for _, it := range items {
		if it.PubDate.After(t) {
			t = it.PubDate
		}
	}
	return t
}

// The wire format. Substack writes text elements as CDATA; encoding/xml
// splits a "]]>" inside a CDATA section correctly.
type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	DC      string     `xml:"xmlns:dc,attr"`
	Content string     `xml:"xmlns:content,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

type rssChannel struct {
	Title         cdata     `xml:"title"`
	Description   cdata     `xml:"description"`
	Link          string    `xml:"link"`
	Image         *rssImage `xml:"image"`
	Generator     string    `xml:"generator"`
	LastBuildDate string    `xml:"lastBuildDate"`
	AtomLink      atomLink  `xml:"atom:link"`
	Copyright     cdata     `xml:"copyright"`
	Language      cdata     `xml:"language"`
	WebMaster     cdata     `xml:"webMaster"`
	Items         []rssItem `xml:"item"`
}

type rssImage struct {
	URL   string `xml:"url"`
	Title string `xml:"title"`
	Link  string `xml:"link"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssItem struct {
	Title       cdata         `xml:"title"`
	Description cdata         `xml:"description"`
	Link        string        `xml:"link"`
	GUID        rssGUID       `xml:"guid"`
	Creator     *cdata        `xml:"dc:creator"`
	PubDate     string        `xml:"pubDate,omitempty"`
	Enclosure   *rssEnclosure `xml:"enclosure"`
	Content     *cdata        `xml:"content:encoded"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssEnclosure struct {
	URL    string `xml:"url,attr"`
	Length string `xml:"length,attr"`
	Type   string `xml:"type,attr"`
}

// rfc822GMT is the date format of Substack's pubDate and lastBuildDate.
const rfc822GMT = "Mon, 02 Jan 2006 15:04:05 GMT"

// render writes the feed document.
func render(c Channel, items []Item) ([]byte, error) {
	host := strings.TrimPrefix(strings.TrimPrefix(c.Link, "https://"), "http://")
	doc := rssDoc{
		DC: "http://purl.org/dc/elements/1.1/", Content: "http://purl.org/rss/1.0/modules/content/",
		Atom: "http://www.w3.org/2005/Atom", Version: "2.0",
		Channel: rssChannel{
			Title: cdata{c.Title}, Description: cdata{c.Description}, Link: c.Link,
			Image:     &rssImage{URL: "https://substackcdn.com/image/fetch/w_256,c_limit,f_auto,q_auto:good/logo.png", Title: c.Title, Link: c.Link},
			Generator: "Substack", LastBuildDate: lastModified(items).UTC().Format(rfc822GMT),
			AtomLink:  atomLink{Href: c.Link + FeedPath, Rel: "self", Type: "application/rss+xml"},
			Copyright: cdata{c.Author}, Language: cdata{"en"}, WebMaster: cdata{strings.SplitN(host, ".", 2)[0] + "@substack.com"},
		},
	}
	for _, it := range items {
		ri := rssItem{Title: cdata{it.Title}, Description: cdata{it.Subtitle}, Link: it.Link,
			GUID: rssGUID{IsPermaLink: "false", Value: it.guid()}}
		if it.Creator != "" {
			ri.Creator = &cdata{it.Creator}
		}
		if !it.PubDate.IsZero() {
			ri.PubDate = it.PubDate.UTC().Format(rfc822GMT)
		}
		if it.ImageURL != "" {
			ri.Enclosure = &rssEnclosure{URL: it.ImageURL, Length: "0", Type: imageType(it.ImageURL)}
		}
		if it.Body != "" {
			ri.Content = &cdata{it.Body}
		}
		doc.Channel.Items = append(doc.Channel.Items, ri)
	}
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
		return nil, fmt.Errorf("substackfake: rendering the feed: %w", err)
	}
	return buf.Bytes(), nil
}

func imageType(u string) string {
	switch {
	case strings.HasSuffix(u, ".png"):
		return "image/png"
	case strings.HasSuffix(u, ".gif"):
		return "image/gif"
	case strings.HasSuffix(u, ".webp"):
		return "image/webp"
	}
	return "image/jpeg"
}

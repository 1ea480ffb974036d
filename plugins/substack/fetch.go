package substack

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
)

// Fetch limits.
const (
	// FetchTimeout bounds one request for the feed (the job's own
	// deadline is 60 s).
	FetchTimeout = 30 * time.Second
	// MaxFeedBytes bounds the size of the feed document.
	MaxFeedBytes = 16 << 20
)

// UserAgent is sent with every feed request.
const UserAgent = "Inkling-Substack-Sync/" + Version + " (+https://github.com/inklingcms/inkling)"

// FeedError is a failure of the feed as a whole (unreachable, an HTTP
// error, not a feed): the sync fails and the host retries it.
type FeedError struct {
	URL string
	// Status is the HTTP status, 0 when the request or the parse failed.
	Status int
	Err    error
}

func (e *FeedError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("substack feed %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("substack feed %s: %v", e.URL, e.Err)
}

func (e *FeedError) Unwrap() error { return e.Err }

// validators are the conditional-GET validators of a feed response.
type validators struct {
	etag, lastModified string
}

// fetcher gets and parses the feed. It remembers, in memory only, the
// validators of the last feed that was synced without failures, and sends
// them back (If-None-Match, If-Modified-Since) so that an unchanged feed
// costs a 304. A new process starts without them.
type fetcher struct {
	client *http.Client

	mu   sync.Mutex
	seen map[string]validators // feed URL → validators
}

func newFetcher(client *http.Client) *fetcher {
	if client == nil {
		client = &http.Client{Timeout: FetchTimeout}
	}
	return &fetcher{client: client, seen: map[string]validators{}}
}

// fetched is a fetched feed; Feed is nil when the server answered 304.
type fetched struct {
	Feed       *gofeed.Feed
	validators validators
}

// fetch gets the feed at feedURL; conditional sends the remembered
// validators.
func (f *fetcher) fetch(ctx context.Context, feedURL string, conditional bool) (*fetched, error) {
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feedURL, nil)
	if err != nil {
		return nil, &FeedError{URL: feedURL, Err: err}
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1")
	if conditional {
		f.mu.Lock()
		v := f.seen[feedURL]
		f.mu.Unlock()
		if v.etag != "" {
			req.Header.Set("If-None-Match", v.etag)
		}
		if v.lastModified != "" {
			req.Header.Set("If-Modified-Since", v.lastModified)
		}
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, &FeedError{URL: feedURL, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && conditional {
		return &fetched{}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &FeedError{URL: feedURL, Status: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxFeedBytes+1))
	if err != nil {
		return nil, &FeedError{URL: feedURL, Err: fmt.Errorf("reading the response: %w", err)}
	}
	if len(body) > MaxFeedBytes {
		return nil, &FeedError{URL: feedURL, Err: fmt.Errorf("the feed is larger than %d bytes", MaxFeedBytes)}
	}
	if err := wellFormed(body); err != nil {
		return nil, &FeedError{URL: feedURL, Err: fmt.Errorf("parsing: %w", err)}
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			err = fmt.Errorf("the response (%s) is not an RSS or Atom feed", resp.Header.Get("Content-Type"))
		}
		return nil, &FeedError{URL: feedURL, Err: fmt.Errorf("parsing: %w", err)}
	}
	return &fetched{Feed: feed, validators: validators{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}}, nil
}

// wellFormed checks that an XML document is well-formed: one root
// element, matching tags. gofeed is lenient (it reads past mismatched
// tags); a Substack feed is generated, so a malformed one is corrupt, and
// the sync fails rather than import what a lenient parser guessed. HTML
// named entities are accepted, and encodings other than UTF-8 are decoded
// first. A JSON feed (gofeed reads those too) is not XML and not checked.
func wellFormed(doc []byte) error {
	if t := bytes.TrimSpace(doc); len(t) > 0 && t[0] == '{' {
		return nil
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charset.NewReaderLabel
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if roots == 0 {
				return errors.New("the document has no root element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if roots++; roots > 1 {
					line, _ := d.InputPos()
					return fmt.Errorf("XML syntax error on line %d: a second root element <%s>", line, tok.Name.Local)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				line, _ := d.InputPos()
				return fmt.Errorf("XML syntax error on line %d: text outside the root element", line)
			}
		}
	}
}

// remember keeps the validators of a feed that was synced completely.
func (f *fetcher) remember(feedURL string, v validators) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen[feedURL] = v
}

// checkFeedURL checks the feed_url setting: an absolute https URL, or http
// on a loopback host (a local test feed).
func checkFeedURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	switch {
	case u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Errorf("%q is not an absolute https URL such as https://NAME.substack.com/feed", raw)
	case u.User != nil:
		return fmt.Errorf("%q must not carry credentials", raw)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%q must use https (http is accepted for loopback hosts only)", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

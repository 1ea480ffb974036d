package substack

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
)

// Fetch limits.
const (
	// FetchTimeout bounds one request for the feed (the job's and the
	// action's own deadline is 60 s, which bounds the retries).
	FetchTimeout = 30 * time.Second
	// MaxFeedBytes bounds the size of the feed document.
	MaxFeedBytes = 16 << 20
)

// UserAgent is sent with every feed request.
const UserAgent = "Inkling-Substack-Sync/" + Version + " (+https://github.com/inklingcms/inkling)"

// FeedError is a failure of the feed as a whole (unreachable, an HTTP
// error, not a feed): the sync fails. The fetch retries the transient
// ones (see fetcher.fetch); a 4xx other than 408 and 429 comes wrapped in
// sdk.Permanent.
type FeedError struct {
	URL string
	// Status is the HTTP status, 0 when the request or the parse failed.
	Status int
	Err    error
	// Tries is the number of requests made when the fetch gave up after
	// retrying (0 when it did not retry).
	Tries int
	// RetryAfter is the delay the server's Retry-After header asked for
	// (0 when absent).
	RetryAfter time.Duration
	// transport is set when no HTTP answer arrived, or its body could not
	// be read (refused, reset, timed out).
	transport bool
}

func (e *FeedError) Error() string {
	var msg string
	switch {
	case e.Status != 0:
		msg = fmt.Sprintf("substack feed %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
		if e.permanent() {
			msg += " (not retried: check the feed_url setting)"
		}
	default:
		msg = fmt.Sprintf("substack feed %s: %v", e.URL, e.Err)
	}
	if e.Tries > 1 {
		msg += fmt.Sprintf(" (gave up after %d tries)", e.Tries)
	}
	return msg
}

func (e *FeedError) Unwrap() error { return e.Err }

// temporary reports whether a retry may succeed: a rate limit (429), a
// request timeout (408), a server error (5xx), or no answer at all.
func (e *FeedError) temporary() bool {
	return e.transport || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// permanent reports whether retrying cannot fix the failure: a 4xx other
// than 408 and 429 (a feed that is gone, or needs credentials, stays so).
func (e *FeedError) permanent() bool {
	return e.Status >= 400 && e.Status <= 499 && !e.temporary()
}

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
	log    *slog.Logger
	// sleep waits d or until ctx is done (a field for tests).
	sleep func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	seen map[string]validators // feed URL → validators
}

// newFetcher uses client (nil: one without a timeout of its own, each
// request is bounded by FetchTimeout) and logs retries to log (nil: not
// logged).
func newFetcher(client *http.Client, log *slog.Logger) *fetcher {
	if client == nil {
		client = &http.Client{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &fetcher{client: client, log: log, sleep: sleepCtx, seen: map[string]validators{}}
}

// fetched is a fetched feed; Feed is nil when the server answered 304.
type fetched struct {
	Feed       *gofeed.Feed
	validators validators
}

// fetch gets the feed at feedURL; conditional sends the remembered
// validators. A transient failure (see FeedError.temporary) is retried up
// to rp.retries times, after the delay a Retry-After header asks for (at
// most MaxRetryWait) or else rp.backoff doubled per retry, with jitter;
// it gives up early when the wait would pass ctx's deadline. The error is
// a *FeedError, wrapped in sdk.Permanent for a 4xx other than 408 and
// 429. A feed that is not well-formed is not retried within the sync (the
// host retries the job).
func (f *fetcher) fetch(ctx context.Context, feedURL string, conditional bool, rp retryPolicy) (*fetched, error) {
	for try := 1; ; try++ {
		got, fe := f.try(ctx, feedURL, conditional)
		switch {
		case fe == nil:
			return got, nil
		case fe.permanent():
			return nil, sdk.Permanent(fe)
		case !fe.temporary() || ctx.Err() != nil:
			return nil, fe
		case try > rp.retries:
			if rp.retries > 0 {
				fe.Tries = try
			}
			return nil, fe
		}
		wait := backoff(rp.backoff, try-1)
		if fe.RetryAfter > 0 {
			wait = min(fe.RetryAfter, MaxRetryWait)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, fmt.Errorf("giving up after %d tries: the next retry (in %s) would pass the sync's deadline: %w",
				try, wait.Round(time.Millisecond), fe)
		}
		f.log.Warn("substack feed request failed, retrying", "feed_url", feedURL, "try", try, "wait", wait, "error", fe)
		if err := f.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("stopped waiting to retry after %d tries: %w (last error: %w)", try, err, fe)
		}
	}
}

// try makes one request for the feed, bounded by FetchTimeout.
func (f *fetcher) try(ctx context.Context, feedURL string, conditional bool) (*fetched, *FeedError) {
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
		return nil, &FeedError{URL: feedURL, Err: err, transport: true}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && conditional {
		return &fetched{}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &FeedError{URL: feedURL, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxFeedBytes+1))
	if err != nil {
		return nil, &FeedError{URL: feedURL, Err: fmt.Errorf("reading the response: %w", err), transport: true}
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

// retryAfter parses a Retry-After header, delay-seconds or an HTTP date
// (RFC 9110, 10.2.3); 0 when absent, malformed or past.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is base·2^retry with ±25% jitter, the exponent capped at 6.
func backoff(base time.Duration, retry int) time.Duration {
	d := base << min(retry, 6)
	return d - d/4 + time.Duration(rand.Int64N(int64(d)/2+1))
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

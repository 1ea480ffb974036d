package substack

import (
	"strconv"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
)

// Retry settings of the feed request.
const (
	// SettingRequestRetries is how often one feed request that met a rate
	// limit (429), a timeout (408), a server error (5xx), a connection
	// error or a network timeout is retried within one sync (a whole
	// number from 0 to 10, default DefaultRequestRetries).
	SettingRequestRetries = "request_retries"
	// SettingRetryBackoff is the first delay before such a retry, doubled
	// for each further one (a Go duration from 1ms to 1m, default
	// DefaultRetryBackoff); a Retry-After header takes precedence.
	SettingRetryBackoff = "retry_backoff"
)

// Retry defaults and bounds.
const (
	DefaultRequestRetries = 3
	DefaultRetryBackoff   = time.Second
	// MaxRetryWait caps the delay a Retry-After header asks for.
	MaxRetryWait = time.Minute
)

// retryPolicy says how a feed request is retried within one sync.
type retryPolicy struct {
	// retries is the number of retries after the first try.
	retries int
	// backoff is the delay before the first retry, doubled per retry.
	backoff time.Duration
}

// config is the plugin's configuration, from its settings.
type config struct {
	feedURL string
	retry   retryPolicy
}

// loadConfig reads the settings (setting returns "" for an unset key);
// the diagnostics name each invalid one at "settings.<key>". An invalid
// setting keeps its default.
func loadConfig(setting func(string) string) (config, contenttypes.Diagnostics) {
	var diags contenttypes.Diagnostics
	get := func(key string) string { return strings.TrimSpace(setting(key)) }
	c := config{feedURL: get(SettingFeedURL), retry: retryPolicy{retries: DefaultRequestRetries, backoff: DefaultRetryBackoff}}
	if c.feedURL != "" {
		if err := checkFeedURL(c.feedURL); err != nil {
			diags.AppendError("settings."+SettingFeedURL, contenttypes.CodeInvalidFormat, err.Error())
		}
	}
	if v := get(SettingRequestRetries); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			diags.AppendErrorf("settings."+SettingRequestRetries, contenttypes.CodeInvalidFormat,
				"%s must be a whole number from 0 to 10, got %q", SettingRequestRetries, v)
		} else {
			c.retry.retries = n
		}
	}
	if v := get(SettingRetryBackoff); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > time.Minute {
			diags.AppendErrorf("settings."+SettingRetryBackoff, contenttypes.CodeInvalidFormat,
				"%s must be a duration from 1ms to 1m (e.g. 2s), got %q", SettingRetryBackoff, v)
		} else {
			c.retry.backoff = d
		}
	}
	return c, diags
}

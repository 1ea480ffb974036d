package elevenlabs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
)

// Settings (set by an admin) and secrets (INKLING_PLUGIN_ELEVENLABS_<KEY>)
// of the plugin.
const (
	// SettingVoiceID is the ElevenLabs voice that reads passages
	// (required: without it the plugin stays idle).
	SettingVoiceID = "voice_id"
	// SettingModelID is the text-to-speech model (DefaultModelID).
	SettingModelID = "model_id"
	// SettingOutputFormat is the MP3 output format, codec_samplerate_bitrate
	// (DefaultOutputFormat).
	SettingOutputFormat = "output_format"
	// SettingMaxChars bounds the characters of one request; longer texts
	// are chunked (default: the model's documented limit, see
	// ModelCharLimits).
	SettingMaxChars = "max_chars"
	// SettingRequestRetries is how often one request that met a rate limit
	// (429) or a server error (5xx) is retried inside a run (default 3).
	SettingRequestRetries = "request_retries"
	// SettingRetryBackoff is the first delay before such a retry, doubled
	// for each further one (a Go duration, default 1s); a Retry-After
	// header takes precedence.
	SettingRetryBackoff = "retry_backoff"
	// SettingStability, SettingSimilarityBoost, SettingStyle (0 to 1),
	// SettingSpeed (0.7 to 1.2) and SettingUseSpeakerBoost (true/false)
	// override the voice's stored settings when set.
	SettingStability       = "stability"
	SettingSimilarityBoost = "similarity_boost"
	SettingStyle           = "style"
	SettingSpeed           = "speed"
	SettingUseSpeakerBoost = "use_speaker_boost"

	// SecretAPIKey is the ElevenLabs API key (xi-api-key), from
	// INKLING_PLUGIN_ELEVENLABS_API_KEY. Without it the plugin stays idle.
	SecretAPIKey = "api_key"
	// SecretBaseURL overrides the API's base URL (DefaultBaseURL), from
	// INKLING_PLUGIN_ELEVENLABS_BASE_URL.
	SecretBaseURL = "base_url"
)

// Defaults.
const (
	DefaultBaseURL      = "https://api.elevenlabs.io"
	DefaultModelID      = "eleven_multilingual_v2"
	DefaultOutputFormat = "mp3_44100_128"
	// DefaultMaxAttempts is the number of runs generate_audio declares to
	// the host (there is no setting for it; the host's backoff between
	// runs is the operators' to configure).
	DefaultMaxAttempts    = 5
	DefaultRequestRetries = 3
	DefaultRetryBackoff   = time.Second
	// DefaultCharLimit is the chunk size for models not in
	// ModelCharLimits.
	DefaultCharLimit = 5000
)

// ModelCharLimits are the documented per-request character limits of the
// text-to-speech models, the default chunk size for each.
var ModelCharLimits = map[string]int{
	"eleven_v3":              5000,
	"eleven_multilingual_v2": 10000,
	"eleven_flash_v2_5":      40000,
	"eleven_turbo_v2_5":      40000,
	"eleven_flash_v2":        30000,
	"eleven_turbo_v2":        30000,
}

// codeInvalidSetting is the diagnostic code of a setting Configure
// refuses.
const codeInvalidSetting = "invalid_setting"

// config is the plugin's configuration, from its settings and secrets.
type config struct {
	apiKey         string
	baseURL        string
	voiceID        string
	modelID        string
	outputFormat   string
	maxChars       int
	requestRetries int
	retryBackoff   time.Duration
	voice          voiceSettings
}

// active reports whether the plugin can generate audio: it has an API key
// and a voice.
func (c config) active() bool { return c.apiKey != "" && c.voiceID != "" }

// idleReason says why the plugin is idle ("" when active).
func (c config) idleReason() string {
	var missing []string
	if c.apiKey == "" {
		missing = append(missing, "the api_key secret (INKLING_PLUGIN_ELEVENLABS_API_KEY)")
	}
	if c.voiceID == "" {
		missing = append(missing, "the voice_id setting")
	}
	if len(missing) == 0 {
		return ""
	}
	return "missing " + strings.Join(missing, " and ")
}

// stitching reports whether the model supports request stitching
// (ElevenLabs: not eleven_v3).
func (c config) stitching() bool { return !strings.HasPrefix(c.modelID, "eleven_v3") }

// sourceHash identifies the audio a text makes with this configuration:
// the SHA-256 of the text and of everything that changes how it sounds
// (voice, model, output format, voice settings), in hex.
func (c config) sourceHash(text string) string {
	h := sha256.New()
	vs := func(f *float64) string {
		if f == nil {
			return "-"
		}
		return strconv.FormatFloat(*f, 'g', -1, 64)
	}
	boost := "-"
	if c.voice.UseSpeakerBoost != nil {
		boost = strconv.FormatBool(*c.voice.UseSpeakerBoost)
	}
	for _, part := range []string{"elevenlabs-narration/1", c.voiceID, c.modelID, c.outputFormat,
		vs(c.voice.Stability), vs(c.voice.SimilarityBoost), vs(c.voice.Style), vs(c.voice.Speed), boost, text} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadConfig reads the settings and secrets; the diagnostics name each
// invalid setting (path "settings.<key>").
func loadConfig(settings, secrets map[string]string) (config, contenttypes.Diagnostics) {
	var diags contenttypes.Diagnostics
	bad := func(key, format string, args ...any) {
		diags.AppendErrorf("settings."+key, codeInvalidSetting, "%s: "+format, append([]any{key}, args...)...)
	}
	get := func(key string) string { return strings.TrimSpace(settings[key]) }
	c := config{
		apiKey:  strings.TrimSpace(secret(secrets, SecretAPIKey)),
		baseURL: strings.TrimSpace(secret(secrets, SecretBaseURL)),
		voiceID: get(SettingVoiceID), modelID: get(SettingModelID), outputFormat: get(SettingOutputFormat),
		requestRetries: DefaultRequestRetries, retryBackoff: DefaultRetryBackoff,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if u, err := url.Parse(c.baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The base URL is a secret: name it, but do not echo it.
		diags.AppendError("secrets."+SecretBaseURL, codeInvalidSetting,
			"base_url (INKLING_PLUGIN_ELEVENLABS_BASE_URL) must be an absolute http(s) URL")
	}
	if c.modelID == "" {
		c.modelID = DefaultModelID
	}
	if c.outputFormat == "" {
		c.outputFormat = DefaultOutputFormat
	}
	if !validMP3Format(c.outputFormat) {
		bad(SettingOutputFormat, "must be an MP3 format such as %s (mp3_<sample rate>_<kbps>): the audio is stored as audio/mpeg, got %q",
			DefaultOutputFormat, c.outputFormat)
	}
	limit, known := ModelCharLimits[c.modelID]
	if !known {
		limit = DefaultCharLimit
	}
	c.maxChars = limit
	if v := get(SettingMaxChars); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			bad(SettingMaxChars, "must be a whole number of characters, got %q", v)
		case n < 100:
			bad(SettingMaxChars, "must be at least 100 characters, got %d", n)
		case known && n > limit:
			bad(SettingMaxChars, "must not exceed the %d characters %s accepts per request, got %d", limit, c.modelID, n)
		default:
			c.maxChars = n
		}
	}
	intSetting := func(key string, lo, hi int, dst *int) {
		v := get(key)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			bad(key, "must be a whole number from %d to %d, got %q", lo, hi, v)
			return
		}
		*dst = n
	}
	intSetting(SettingRequestRetries, 0, 10, &c.requestRetries)
	if v := get(SettingRetryBackoff); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > time.Minute {
			bad(SettingRetryBackoff, "must be a duration from 1ms to 1m (e.g. 2s), got %q", v)
		} else {
			c.retryBackoff = d
		}
	}
	floatSetting := func(key string, lo, hi float64) *float64 {
		v := get(key)
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < lo || f > hi {
			bad(key, "must be a number from %g to %g, got %q", lo, hi, v)
			return nil
		}
		return &f
	}
	c.voice.Stability = floatSetting(SettingStability, 0, 1)
	c.voice.SimilarityBoost = floatSetting(SettingSimilarityBoost, 0, 1)
	c.voice.Style = floatSetting(SettingStyle, 0, 1)
	c.voice.Speed = floatSetting(SettingSpeed, 0.7, 1.2)
	if v := get(SettingUseSpeakerBoost); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(SettingUseSpeakerBoost, "must be true or false, got %q", v)
		} else {
			c.voice.UseSpeakerBoost = &b
		}
	}
	return c, diags
}

// voiceSettingsOrNil returns the voice settings to send, nil when none is
// set (the voice's stored settings apply).
func (c config) voiceSettingsOrNil() *voiceSettings {
	if c.voice == (voiceSettings{}) {
		return nil
	}
	v := c.voice
	return &v
}

// validMP3Format checks the shape mp3_<sample rate>_<kbps>; ElevenLabs
// answers an unsupported combination with an error the job reports.
func validMP3Format(f string) bool {
	parts := strings.Split(f, "_")
	if len(parts) != 3 || parts[0] != "mp3" {
		return false
	}
	for _, p := range parts[1:] {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 {
			return false
		}
	}
	return true
}

// secret finds key in secrets regardless of case (the host lower-cases
// the keys of INKLING_PLUGIN_<NAME>_<KEY>).
func secret(secrets map[string]string, key string) string {
	if v, ok := secrets[key]; ok {
		return v
	}
	for k, v := range secrets {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// String describes the configuration for logs, without the API key.
func (c config) String() string {
	return fmt.Sprintf("voice %s, model %s, format %s, chunks of at most %d characters", c.voiceID, c.modelID, c.outputFormat, c.maxChars)
}

package elevenlabs

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	key := map[string]string{"API_KEY": "k"} // the host lower-cases keys; any case is found
	cases := []struct {
		name     string
		settings map[string]string
		secrets  map[string]string
		check    func(t *testing.T, c config)
		errAt    string // the diagnostic path expected, "" for none
	}{
		{name: "defaults", settings: map[string]string{SettingVoiceID: "v"}, secrets: key, check: func(t *testing.T, c config) {
			if !c.active() || c.baseURL != DefaultBaseURL || c.modelID != DefaultModelID || c.outputFormat != DefaultOutputFormat ||
				c.maxChars != 10000 || c.requestRetries != 3 || c.retryBackoff != time.Second ||
				c.voiceSettingsOrNil() != nil || !c.stitching() {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "model limit", settings: map[string]string{SettingModelID: "eleven_flash_v2_5"}, check: func(t *testing.T, c config) {
			if c.maxChars != 40000 || c.active() || !strings.Contains(c.idleReason(), "api_key") || !strings.Contains(c.idleReason(), "voice_id") {
				t.Fatalf("%+v %q", c, c.idleReason())
			}
		}},
		{name: "unknown model", settings: map[string]string{SettingModelID: "eleven_future", SettingMaxChars: "90000"}, check: func(t *testing.T, c config) {
			if c.maxChars != 90000 {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "v3 does not stitch", settings: map[string]string{SettingModelID: "eleven_v3"}, check: func(t *testing.T, c config) {
			if c.stitching() || c.maxChars != 5000 {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "voice settings", settings: map[string]string{SettingStability: "0.3", SettingSpeed: "1.1", SettingUseSpeakerBoost: "true"},
			check: func(t *testing.T, c config) {
				vs := c.voiceSettingsOrNil()
				if vs == nil || *vs.Stability != 0.3 || *vs.Speed != 1.1 || !*vs.UseSpeakerBoost || vs.Style != nil {
					t.Fatalf("%+v", vs)
				}
			}},
		{name: "retry settings", settings: map[string]string{SettingRetryBackoff: "250ms", SettingRequestRetries: "0"},
			check: func(t *testing.T, c config) {
				if c.retryBackoff != 250*time.Millisecond || c.requestRetries != 0 {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "unknown and removed settings ignored", settings: map[string]string{SettingVoiceID: "v", "max_attempts": "99", "colour": "blue"},
			secrets: key, check: func(t *testing.T, c config) {
				if !c.active() {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "pcm refused", settings: map[string]string{SettingOutputFormat: "pcm_16000"}, errAt: "settings.output_format"},
		{name: "max_chars over the model limit", settings: map[string]string{SettingMaxChars: "10001"}, errAt: "settings.max_chars"},
		{name: "max_chars too small", settings: map[string]string{SettingMaxChars: "5"}, errAt: "settings.max_chars"},
		{name: "max_chars not a number", settings: map[string]string{SettingMaxChars: "lots"}, errAt: "settings.max_chars"},
		{name: "bad backoff", settings: map[string]string{SettingRetryBackoff: "soon"}, errAt: "settings.retry_backoff"},
		{name: "stability out of range", settings: map[string]string{SettingStability: "2"}, errAt: "settings.stability"},
		{name: "speed out of range", settings: map[string]string{SettingSpeed: "3"}, errAt: "settings.speed"},
		{name: "speaker boost not a bool", settings: map[string]string{SettingUseSpeakerBoost: "loud"}, errAt: "settings.use_speaker_boost"},
		{name: "base url not absolute", secrets: map[string]string{"base_url": "api.example.org"}, errAt: "secrets.base_url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := loadConfig(tc.settings, tc.secrets)
			if tc.errAt == "" {
				if diags.HasError() {
					t.Fatal(diags)
				}
				tc.check(t, c)
				return
			}
			if len(diags.At(tc.errAt)) == 0 {
				t.Fatalf("no diagnostic at %s: %v", tc.errAt, diags)
			}
		})
	}
}

func TestSourceHash(t *testing.T) {
	base, _ := loadConfig(map[string]string{SettingVoiceID: "v"}, nil)
	h := base.sourceHash("text")
	if len(h) != 64 || h != base.sourceHash("text") {
		t.Fatalf("hash %q is not a stable SHA-256", h)
	}
	variants := map[string]func(c *config){
		"voice":  func(c *config) { c.voiceID = "w" },
		"model":  func(c *config) { c.modelID = "eleven_flash_v2_5" },
		"format": func(c *config) { c.outputFormat = "mp3_22050_32" },
		"voice settings": func(c *config) {
			s := 0.5
			c.voice.Stability = &s
		},
	}
	for name, change := range variants {
		c := base
		change(&c)
		if c.sourceHash("text") == h {
			t.Errorf("changing the %s keeps the hash", name)
		}
	}
	if base.sourceHash("other text") == h {
		t.Error("changing the text keeps the hash")
	}
	// The API key and chunking do not change the audio's identity.
	c := base
	c.apiKey, c.maxChars = "other", 100
	if c.sourceHash("text") != h {
		t.Error("the key or chunk size changes the hash")
	}
}

package pluginhost

import (
	"context"

	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// GetSettings returns the plugin's own settings and secrets. Always
// allowed. Secrets are read from the environment on every call and never
// logged.
func (h *hostServer) GetSettings(_ context.Context, _ *pluginv1.GetSettingsRequest) (*pluginv1.GetSettingsResponse, error) {
	rec := h.p.snapshot()
	settings := make(map[string]string, len(rec.Settings))
	for k, v := range rec.Settings {
		settings[k] = v
	}
	return &pluginv1.GetSettingsResponse{Settings: settings, Secrets: h.p.m.secrets(h.p.name)}, nil
}

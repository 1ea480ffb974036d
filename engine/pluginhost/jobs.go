package pluginhost

import (
	"context"
	"encoding/json"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// JobSpec is a job kind a plugin declares. Every > 0 asks the job queue to
// run it periodically.
type JobSpec struct {
	Plugin      string
	Kind        string
	Description string
	Every       time.Duration
}

// Jobs returns the job kinds of the active plugins, by plugin name and
// declaration order.
func (m *Manager) Jobs() []JobSpec {
	var out []JobSpec
	for _, p := range m.list() {
		p.mu.RLock()
		if p.inForce() {
			for _, j := range p.meta.GetJobKinds() {
				out = append(out, JobSpec{Plugin: p.name, Kind: j.GetKind(), Description: j.GetDescription(),
					Every: time.Duration(j.GetEverySeconds()) * time.Second})
			}
		}
		p.mu.RUnlock()
	}
	return out
}

// declaresJob reports whether the plugin's metadata declares a job kind.
func declaresJob(meta *pluginv1.GetMetadataResponse, kind string) bool {
	for _, j := range meta.GetJobKinds() {
		if j.GetKind() == kind {
			return true
		}
	}
	return false
}

// RunJob runs a job of a plugin (Config.JobTimeout). An error (including
// Unavailable while the plugin restarts) means the job queue should retry.
func (m *Manager) RunJob(ctx context.Context, plugin, kind string, args json.RawMessage, attempt int) error {
	p, err := m.get(plugin)
	if err != nil {
		return err
	}
	p.mu.RLock()
	declared := p.inForce() && declaresJob(p.meta, kind)
	p.mu.RUnlock()
	if !declared {
		return apperr.New(apperr.NotFound, "plugin %s has no job kind %q", plugin, kind)
	}
	if attempt < 1 {
		attempt = 1
	}
	return p.call(ctx, "job "+kind, m.cfg.JobTimeout, func(ctx context.Context, c pluginv1.PluginClient) error {
		_, err := c.RunJob(ctx, &pluginv1.JobRequest{Kind: kind, ArgsJson: args, Attempt: int32(attempt)})
		return err
	})
}

package pluginhost

import (
	"context"
	"encoding/json"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// JobSpec is a job kind a plugin declares. Every > 0 asks the job queue to
// run it periodically.
type JobSpec struct {
	Plugin      string
	Kind        string
	Description string
	Every       time.Duration
	// MaxAttempts and Timeout as the plugin declared them (0: the host's
	// defaults).
	MaxAttempts int
	Timeout     time.Duration
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
					Every: time.Duration(j.GetEverySeconds()) * time.Second, MaxAttempts: int(j.GetMaxAttempts()),
					Timeout: time.Duration(j.GetTimeoutSeconds()) * time.Second})
			}
		}
		p.mu.RUnlock()
	}
	return out
}

// declaredJob returns the plugin's declaration of a job kind.
func declaredJob(meta *pluginv1.GetMetadataResponse, kind string) *pluginv1.JobKind {
	for _, j := range meta.GetJobKinds() {
		if j.GetKind() == kind {
			return j
		}
	}
	return nil
}

// IsPermanent reports whether a job failed for good: the plugin marked
// the failure permanent (sdk.Permanent), so retrying cannot help.
func IsPermanent(err error) bool { return protocol.IsPermanent(err) }

// RunJob runs the attempt-th run of a plugin job (of maxAttempts, 0 when
// unknown), bounded by the kind's declared timeout or Config.JobTimeout.
// An error (including Unavailable while the plugin restarts) means the job
// queue should retry, unless IsPermanent(err).
func (m *Manager) RunJob(ctx context.Context, plugin, kind string, args json.RawMessage, attempt, maxAttempts int) error {
	p, err := m.get(plugin)
	if err != nil {
		return err
	}
	p.mu.RLock()
	var decl *pluginv1.JobKind
	if p.inForce() {
		decl = declaredJob(p.meta, kind)
	}
	p.mu.RUnlock()
	if decl == nil {
		return apperr.New(apperr.NotFound, "plugin %s has no job kind %q", plugin, kind)
	}
	if attempt < 1 {
		attempt = 1
	}
	timeout := m.cfg.JobTimeout
	if t := time.Duration(decl.GetTimeoutSeconds()) * time.Second; t > 0 {
		timeout = t
	}
	return p.call(ctx, "job "+kind, timeout, func(ctx context.Context, c pluginv1.PluginClient) error {
		_, err := c.RunJob(ctx, &pluginv1.JobRequest{Kind: kind, ArgsJson: args, Attempt: int32(attempt), MaxAttempts: int32(maxAttempts)})
		return err
	})
}

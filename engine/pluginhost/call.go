package pluginhost

import (
	"context"
	"errors"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// call runs fn against the plugin's running process with a deadline. A
// plugin that is not running fails at once with Unavailable; a call that
// hits the deadline fails with Timeout; a call whose process dies fails
// with Unavailable.
func (p *instance) call(ctx context.Context, what string, timeout time.Duration, fn func(context.Context, pluginv1.PluginClient) error) error {
	p.mu.RLock()
	pr, st, lastErr := p.proc, p.status, p.lastErr
	p.mu.RUnlock()
	if pr == nil || st != StatusRunning {
		return p.notRunning(st, lastErr)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := fn(cctx, pr.rpc); err != nil {
		p.mu.RLock()
		supervised := p.status == StatusRunning || p.status == StatusRestarting
		p.mu.RUnlock()
		return p.callError(ctx, cctx, pr, what, timeout, err, supervised)
	}
	return nil
}

// notRunning is the error of a call to a plugin without a live process.
func (p *instance) notRunning(st, lastErr string) error {
	switch st {
	case StatusRestarting:
		return apperr.New(apperr.Unavailable, "plugin %s is restarting; try again shortly", p.name)
	case StatusStarting:
		return apperr.New(apperr.Unavailable, "plugin %s is starting; try again shortly", p.name)
	case StatusDisabled:
		return apperr.New(apperr.Unavailable, "plugin %s is disabled", p.name)
	case StatusStopped:
		return apperr.New(apperr.Unavailable, "plugin %s is not running (the plugin host is stopped)", p.name)
	}
	if lastErr != "" {
		return apperr.New(apperr.Unavailable, "plugin %s is not running (%s): %s", p.name, st, lastErr)
	}
	return apperr.New(apperr.Unavailable, "plugin %s is not running (%s)", p.name, st)
}

// callError turns the error of a call into an application error. supervised
// says whether a supervisor restarts the process when it dies (not during a
// start sequence).
func (p *instance) callError(parent, cctx context.Context, pr *process, what string, timeout time.Duration, err error, supervised bool) error {
	if perr := parent.Err(); perr != nil {
		if errors.Is(perr, context.DeadlineExceeded) {
			return apperr.Wrap(err, apperr.Timeout, "plugin %s did not answer %s before the caller's deadline", p.name, what)
		}
		return apperr.Wrap(err, apperr.Unavailable, "the call to plugin %s (%s) was cancelled", p.name, what)
	}
	st := status.Convert(err)
	if errors.Is(cctx.Err(), context.DeadlineExceeded) || st.Code() == codes.DeadlineExceeded {
		return apperr.Wrap(err, apperr.Timeout, "plugin %s did not answer %s within %s", p.name, what, timeout)
	}
	if st.Code() == codes.Unavailable || st.Code() == codes.Canceled || (pr != nil && pr.client.Exited()) {
		if !supervised {
			return apperr.Wrap(err, apperr.Unavailable, "plugin %s stopped while answering %s (its process exited or lost its connection)", p.name, what)
		}
		return apperr.Wrap(err, apperr.Unavailable, "plugin %s stopped while answering %s (its process exited or lost its connection); it is restarting", p.name, what)
	}
	var code apperr.Code
	switch st.Code() {
	case codes.InvalidArgument:
		code = apperr.Invalid
	case codes.NotFound:
		code = apperr.NotFound
	case codes.AlreadyExists, codes.Aborted, codes.FailedPrecondition:
		code = apperr.Conflict
	case codes.PermissionDenied:
		code = apperr.Forbidden
	case codes.Unauthenticated:
		code = apperr.Unauthorized
	case codes.ResourceExhausted:
		code = apperr.RateLimited
	case codes.Unimplemented:
		return apperr.Wrap(err, apperr.Internal, "plugin %s does not implement %s", p.name, what)
	default:
		code = apperr.Internal
	}
	return apperr.Wrap(err, code, "plugin %s failed %s: %s", p.name, what, st.Message())
}

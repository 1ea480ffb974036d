package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
)

// pollInterval is how often a supervisor checks whether its process exited
// (go-plugin exposes Exited() but no channel).
const pollInterval = 25 * time.Millisecond

// supervisor watches one plugin's process and restarts it when it dies.
type supervisor struct {
	stop chan struct{}
	done chan struct{}
}

// startLocked starts the plugin and its supervisor; p.op is held. A failure
// marks the plugin (failed, checksum_mismatch...) and is returned.
func (p *instance) startLocked(ctx context.Context) error {
	p.setState(StatusStarting, "")
	pr, err := p.launch(ctx, true)
	if err != nil {
		st := StatusFailed
		var ref *refusal
		if errors.As(err, &ref) {
			st = ref.status
		}
		p.setState(st, err.Error())
		p.persistState(st, err.Error())
		p.m.log.Error("plugin not started", "plugin", p.name, "status", st, "error", err.Error())
		return err
	}
	p.install(pr, false)
	p.recordStart(ctx, pr)
	p.m.log.Info("plugin started", "plugin", p.name, "version", pr.meta.GetVersion(), "pid", pr.pid, "scopes", pr.granted)
	if len(pr.upgrades) > 0 {
		// The new definitions are registered; save the migrated values
		// now that the plugin's own hooks can see the saves.
		p.applyUpgrades(ctx, pr.upgrades)
		pr.upgrades = nil
	}
	s := &supervisor{stop: make(chan struct{}), done: make(chan struct{})}
	p.sup = s
	p.m.wg.Add(1)
	go func() {
		defer p.m.wg.Done()
		p.supervise(pr, s)
	}()
	return nil
}

// stopLocked stops the supervisor and the process and sets status; p.op is
// held.
func (p *instance) stopLocked(status string) {
	p.setState(status, "")
	if s := p.sup; s != nil {
		close(s.stop)
		<-s.done
		p.sup = nil
	}
	p.mu.Lock()
	pr := p.proc
	p.proc = nil
	p.status, p.lastErr = status, ""
	p.mu.Unlock()
	if pr != nil {
		pr.kill()
	}
}

// install makes pr the plugin's running process.
func (p *instance) install(pr *process, restart bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.proc, p.meta, p.status, p.lastErr = pr, pr.meta, StatusRunning, ""
	if restart {
		p.restarts++
	}
	return p.restarts
}

// setState sets the status in memory.
func (p *instance) setState(status, lastErr string) {
	p.mu.Lock()
	p.status, p.lastErr = status, lastErr
	p.mu.Unlock()
}

// supervise waits for the process to exit and restarts it with exponential
// backoff until stopped, or until a restart is refused.
func (p *instance) supervise(pr *process, s *supervisor) {
	defer close(s.done)
	cfg := &p.m.cfg
	log := p.m.log.With("plugin", p.name)
	backoff := cfg.RestartBackoff
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		if !waitExit(pr, s.stop) {
			return
		}
		uptime := time.Since(pr.started)
		msg := fmt.Sprintf("process %d exited unexpectedly after %s", pr.pid, uptime.Round(time.Millisecond))
		p.mu.Lock()
		if p.proc == pr {
			p.proc = nil
		}
		p.status, p.lastErr = StatusRestarting, msg
		p.mu.Unlock()
		pr.kill() // release go-plugin's resources and the Host service
		if uptime >= cfg.StableAfter {
			backoff = cfg.RestartBackoff
		}
		log.Warn("plugin process exited; restarting", "pid", pr.pid, "uptime", uptime.Round(time.Millisecond).String(), "backoff", backoff.String())
		p.persistState(StatusRestarting, msg)
		for {
			t := time.NewTimer(backoff)
			select {
			case <-s.stop:
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, cfg.MaxRestartBackoff)
			np, err := p.launch(ctx, false)
			if err == nil {
				select {
				case <-s.stop:
					np.kill()
					return
				default:
				}
				n := p.install(np, true)
				log.Info("plugin restarted", "pid", np.pid, "restarts", n)
				p.persistState(StatusRunning, "")
				pr = np
				break
			}
			var ref *refusal
			if errors.As(err, &ref) {
				p.setState(ref.status, ref.msg)
				log.Error("plugin restart refused; not retrying", "status", ref.status, "error", ref.msg)
				p.persistState(ref.status, ref.msg)
				return
			}
			select {
			case <-s.stop:
				return
			default:
			}
			p.setState(StatusRestarting, "restart failed: "+err.Error())
			log.Warn("plugin restart failed", "error", err.Error(), "next_attempt_in", backoff.String())
		}
	}
}

// waitExit blocks until the process exits (true) or stop closes (false).
func waitExit(pr *process, stop <-chan struct{}) bool {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return false
		case <-t.C:
			if pr.client.Exited() {
				return true
			}
		}
	}
}

// persistState writes the status to the catalog. Failures are logged: the
// in-memory state is authoritative for this server.
func (p *instance) persistState(status, lastErr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.m.cat.update(ctx, p.name, map[string]any{"status": status, "last_error": lastErr}); err != nil {
		p.m.log.Warn("cannot record plugin status", "plugin", p.name, "status", status, "error", err.Error())
	}
}

// recordStart writes what a successful start learnt to the catalog.
func (p *instance) recordStart(ctx context.Context, pr *process) {
	requested := requestedScopes(pr.meta)
	types := append([]string{}, pr.meta.GetContentTypes()...)
	set := map[string]any{
		"status": StatusRunning, "last_error": "", "version": pr.meta.GetVersion(),
		"protocol_version": int(pr.meta.GetProtocolVersion()), "content_types": jsonList(types),
		"requested_scopes": jsonList(requested),
	}
	if b, err := protojson.Marshal(pr.meta); err == nil {
		set["metadata"] = string(b)
	}
	p.mu.Lock()
	p.rec.Meta = pr.meta
	p.rec.Version, p.rec.ProtocolVersion, p.rec.ContentTypes, p.rec.RequestedScopes = pr.meta.GetVersion(), int(pr.meta.GetProtocolVersion()), types, requested
	// Built-ins are granted what they request; external plugins what they
	// requested at their first start after being enabled.
	if p.rec.Kind == KindBuiltin || !p.rec.Granted {
		p.rec.GrantedScopes, p.rec.Granted = requested, true
		set["granted_scopes"] = jsonList(requested)
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := p.m.cat.update(ctx, p.name, set); err != nil {
		p.m.log.Warn("cannot record plugin start", "plugin", p.name, "error", err.Error())
	}
}

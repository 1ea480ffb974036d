package pluginhost

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// TaskKindSpec is a workflow task kind a running plugin decides. Workflows
// name it Plugin + "." + Name.
type TaskKindSpec struct {
	Plugin      string `json:"plugin"`
	Name        string `json:"name"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
}

// Kind is the workflow task kind: "<plugin>.<name>".
func (t TaskKindSpec) Kind() string { return t.Plugin + "." + t.Name }

// TaskKinds returns the task kinds of the active plugins.
func (m *Manager) TaskKinds() []TaskKindSpec {
	var out []TaskKindSpec
	for _, p := range m.list() {
		p.mu.RLock()
		if p.inForce() {
			for _, k := range p.meta.GetTaskKinds() {
				out = append(out, TaskKindSpec{Plugin: p.name, Name: k.GetName(), Label: k.GetLabel(), Description: k.GetDescription()})
			}
		}
		p.mu.RUnlock()
	}
	return out
}

// HasTaskKind reports whether kind ("<plugin>.<name>") is declared by a
// known plugin (running or not: a workflow may name a plugin that is
// restarting).
func (m *Manager) HasTaskKind(kind string) bool {
	plugin, name, ok := strings.Cut(kind, ".")
	if !ok {
		return false
	}
	p, err := m.get(plugin)
	if err != nil {
		return false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, k := range p.meta.GetTaskKinds() {
		if k.GetName() == name {
			return true
		}
	}
	return false
}

// TaskInput asks a plugin to decide a workflow task.
type TaskInput struct {
	Kind            string // "<plugin>.<name>"
	TaskName        string
	WorkflowStateID string
	EntryID         string
	RevisionID      string // the submitted revision
	Config          json.RawMessage
	Attempt         int
}

// TaskResult is a plugin's decision.
type TaskResult struct {
	Decision string // approve, request_changes, pending
	Comment  string
}

type revisionReader interface {
	Revision(ctx context.Context, actor auth.Principal, entryID, revID string) (*entries.Revision, error)
}

// RunTask asks the plugin of a task kind to decide (Config.EventTimeout).
// An error means the job queue should retry.
func (m *Manager) RunTask(ctx context.Context, in TaskInput) (*TaskResult, error) {
	if !m.HasTaskKind(in.Kind) {
		return nil, apperr.New(apperr.NotFound, "no plugin declares the task kind %q", in.Kind)
	}
	plugin, name, _ := strings.Cut(in.Kind, ".")
	p, err := m.get(plugin)
	if err != nil {
		return nil, err
	}
	if m.cfg.Entries == nil {
		return nil, apperr.New(apperr.Unavailable, "the plugin host has no entries service")
	}
	d, err := m.cfg.Entries.Get(ctx, auth.System, in.EntryID)
	if err != nil {
		return nil, err
	}
	pe := protoEntry(d, false)
	if in.RevisionID != "" && in.RevisionID != pe.GetRevisionId() {
		rr, ok := m.cfg.Entries.(revisionReader)
		if !ok {
			return nil, fmt.Errorf("cannot read revision %s", in.RevisionID)
		}
		rev, err := rr.Revision(ctx, auth.System, in.EntryID, in.RevisionID)
		if err != nil {
			return nil, err
		}
		pe.Title, pe.Slug, pe.FieldsJson, pe.RevisionId = rev.Title, rev.Slug, rev.Fields, rev.ID
	}
	var res *TaskResult
	err = p.call(ctx, "task "+name, m.cfg.EventTimeout, func(ctx context.Context, c pluginv1.PluginClient) error {
		resp, err := c.RunTask(ctx, &pluginv1.TaskRequest{Kind: name, Entry: pe, WorkflowStateId: in.WorkflowStateID,
			TaskName: in.TaskName, ConfigJson: in.Config, Attempt: int32(max(in.Attempt, 1))})
		if err != nil {
			return err
		}
		res = &TaskResult{Decision: resp.GetDecision(), Comment: resp.GetComment()}
		return nil
	})
	return res, err
}

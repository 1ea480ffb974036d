package workflow

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Authorizer decides whether a principal may act on a content type.
type Authorizer interface {
	Require(ctx context.Context, p auth.Principal, action auth.Action, typeKey string) error
}

// Service runs workflows.
type Service struct {
	db        *store.DB
	authz     Authorizer
	events    entries.Events
	now       func() time.Time
	plugins   PluginTasks
	taskQueue TaskQueue
}

// Options configure a Service.
type Options struct {
	Events entries.Events // workflow events for plugins; nil: none
	Now    func() time.Time
}

// New returns a Service.
func New(db *store.DB, authz Authorizer, opts *Options) *Service {
	s := &Service{db: db, authz: authz, now: time.Now}
	if opts != nil {
		s.events = opts.Events
		if opts.Now != nil {
			s.now = opts.Now
		}
	}
	return s
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// TaskInput declares a task.
type TaskInput struct {
	Name string `json:"name"`
	// Kind is group_approval (the default: people of Roles decide) or a
	// plugin's task kind "<plugin>.<name>" (the plugin decides; admins may
	// still decide by hand).
	Kind   string          `json:"kind,omitempty"`
	Roles  []string        `json:"roles,omitempty"`
	Config json.RawMessage `json:"config,omitempty"` // for plugin kinds
}

// Input declares a workflow and where it applies.
type Input struct {
	Name            string      `json:"name"`
	Tasks           []TaskInput `json:"tasks"`
	Types           []string    `json:"types,omitempty"`
	Pages           []string    `json:"pages,omitempty"` // subtree roots
	RequireApproval bool        `json:"require_approval,omitempty"`
}

func diag(path, code, format string, args ...any) contenttypes.Diagnostic {
	return contenttypes.Diagnostic{Severity: contenttypes.SeverityError, Path: path, Code: code, Summary: fmt.Sprintf(format, args...)}
}

// Create creates a workflow with its tasks and assignments (admins).
func (s *Service) Create(ctx context.Context, actor auth.Principal, in Input) (*Workflow, error) {
	if err := s.authz.Require(ctx, actor, auth.ActTypesManage, ""); err != nil {
		return nil, err
	}
	var diags contenttypes.Diagnostics
	if strings.TrimSpace(in.Name) == "" {
		diags = append(diags, diag("name", contenttypes.CodeRequired, "a workflow needs a name"))
	}
	if len(in.Tasks) == 0 {
		diags = append(diags, diag("tasks", contenttypes.CodeTooFewItems, "a workflow needs at least one task"))
	}
	for i, t := range in.Tasks {
		p := fmt.Sprintf("tasks[%d]", i)
		if strings.TrimSpace(t.Name) == "" {
			diags = append(diags, diag(p+".name", contenttypes.CodeRequired, "a task needs a name"))
		}
		switch {
		case isGroupKind(t.Kind):
			if len(t.Roles) == 0 {
				diags = append(diags, diag(p+".roles", contenttypes.CodeTooFewItems, "name the roles that may approve"))
			}
		case s.plugins == nil || !s.plugins.HasTaskKind(t.Kind):
			diags = append(diags, diag(p+".kind", contenttypes.CodeInvalidChoice,
				"unknown task kind %q (want %s, or a plugin's kind as <plugin>.<name>)", t.Kind, KindGroupApproval))
		}
		for j, r := range t.Roles {
			if _, err := auth.ParseRole(r); err != nil {
				diags = append(diags, diag(fmt.Sprintf("%s.roles[%d]", p, j), contenttypes.CodeInvalidChoice, "%v", err))
			}
		}
	}
	if len(in.Types) == 0 && len(in.Pages) == 0 {
		diags = append(diags, diag("types", contenttypes.CodeRequired, "assign the workflow to content types or page subtrees"))
	}
	if diags.HasError() {
		return nil, apperr.Validation("invalid workflow", diags)
	}
	w := &Workflow{ID: newID(), Name: strings.TrimSpace(in.Name), Active: true, CreatedAt: s.clock()}
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(w).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return apperr.Validation("duplicate name", contenttypes.Diagnostics{diag("name", "taken", "a workflow named %q exists", w.Name)}).WithCode(apperr.Conflict)
			}
			return fmt.Errorf("error creating workflow: %w", err)
		}
		w.Tasks, w.Assignments = nil, nil
		for i, t := range in.Tasks {
			kind, cfg := t.Kind, t.Config
			if isGroupKind(kind) {
				kind = KindGroupApproval
				cfg, _ = json.Marshal(GroupConfig{Roles: t.Roles})
			} else if len(cfg) == 0 {
				cfg = json.RawMessage("{}")
			}
			task := Task{ID: newID(), WorkflowID: w.ID, SortOrder: i, Name: strings.TrimSpace(t.Name), Kind: kind, Config: cfg}
			if _, err := tx.NewInsert().Model(&task).Exec(ctx); err != nil {
				return fmt.Errorf("error creating task: %w", err)
			}
			w.Tasks = append(w.Tasks, task)
		}
		add := func(a Assignment, path string) error {
			if _, err := tx.NewInsert().Model(&a).Exec(ctx); err != nil {
				if store.IsUniqueViolation(err) {
					return apperr.Validation("already assigned", contenttypes.Diagnostics{diag(path, "taken", "another workflow is already assigned here")}).WithCode(apperr.Conflict)
				}
				return fmt.Errorf("error assigning workflow: %w", err)
			}
			w.Assignments = append(w.Assignments, a)
			return nil
		}
		for i, tk := range in.Types {
			key := tk
			if err := add(Assignment{ID: newID(), WorkflowID: w.ID, TypeKey: &key, RequireApproval: in.RequireApproval}, fmt.Sprintf("types[%d]", i)); err != nil {
				return err
			}
		}
		for i, pg := range in.Pages {
			id := pg
			var isPage bool
			if err := tx.NewSelect().Table("entries").ColumnExpr("path <> ''").Where("id = ?", id).Scan(ctx, &isPage); err != nil || !isPage {
				return apperr.Validation("not a page", contenttypes.Diagnostics{diag(fmt.Sprintf("pages[%d]", i), contenttypes.CodeInvalidReference, "no page %q", id)})
			}
			if err := add(Assignment{ID: newID(), WorkflowID: w.ID, PageID: &id, RequireApproval: in.RequireApproval}, fmt.Sprintf("pages[%d]", i)); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "workflow_create", At: w.CreatedAt, Data: map[string]any{"workflow": w.ID, "name": w.Name}})
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// List lists workflows with tasks and assignments.
func (s *Service) List(ctx context.Context, actor auth.Principal) ([]Workflow, error) {
	if err := s.authz.Require(ctx, actor, auth.ActTypesRead, ""); err != nil {
		return nil, err
	}
	var ws []Workflow
	if err := s.db.NewSelect().Model(&ws).OrderExpr("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("error listing workflows: %w", err)
	}
	for i := range ws {
		if err := s.loadParts(ctx, s.db, &ws[i]); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

func (s *Service) loadParts(ctx context.Context, db bun.IDB, w *Workflow) error {
	if err := db.NewSelect().Model(&w.Tasks).Where("workflow_id = ?", w.ID).OrderExpr("sort_order").Scan(ctx); err != nil {
		return fmt.Errorf("error loading tasks: %w", err)
	}
	if err := db.NewSelect().Model(&w.Assignments).Where("workflow_id = ?", w.ID).Scan(ctx); err != nil {
		return fmt.Errorf("error loading assignments: %w", err)
	}
	return nil
}

// assignmentFor finds the workflow that applies to an entry: its type's, or
// else the one on its nearest ancestor page (or the page itself).
func (s *Service) assignmentFor(ctx context.Context, db bun.IDB, e *entries.Entry) (*Assignment, error) {
	var as []Assignment
	if err := db.NewSelect().Model(&as).Join("JOIN workflows AS w ON w.id = assignment.workflow_id").
		Where("w.active = ?", true).Where("assignment.type_key = ?", e.TypeKey).Scan(ctx); err != nil {
		return nil, fmt.Errorf("error finding workflow: %w", err)
	}
	if len(as) > 0 {
		return &as[0], nil
	}
	if e.Path == "" {
		return nil, nil
	}
	ids := strings.Split(strings.Trim(e.Path, "/"), "/")
	if err := db.NewSelect().Model(&as).Join("JOIN workflows AS w ON w.id = assignment.workflow_id").
		Where("w.active = ?", true).Where("assignment.page_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("error finding workflow: %w", err)
	}
	var best *Assignment
	bestDepth := -1
	for i := range as {
		if d := slices.Index(ids, *as[i].PageID); d > bestDepth {
			best, bestDepth = &as[i], d
		}
	}
	return best, nil
}

func (s *Service) loadEntry(ctx context.Context, db bun.IDB, id string) (*entries.Entry, error) {
	e := new(entries.Entry)
	q := db.NewSelect().Model(e).Where("id = ?", id)
	if _, ok := db.(bun.Tx); ok && s.db.Backend == store.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "no entry %s", id)
	} else if err != nil {
		return nil, fmt.Errorf("error loading entry %s: %w", id, err)
	}
	return e, nil
}

// openState returns the entry's open (in progress or needs changes) state.
func openState(ctx context.Context, db bun.IDB, entryID string) (*State, error) {
	st := new(State)
	err := db.NewSelect().Model(st).Where("entry_id = ? AND status IN (?)", entryID, bun.List([]string{StatusInProgress, StatusNeedsChanges})).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error loading workflow state: %w", err)
	}
	return st, nil
}

// Current returns the entry's latest workflow state with its task states,
// or nil when it was never submitted.
func (s *Service) Current(ctx context.Context, actor auth.Principal, entryID string) (*State, error) {
	e, err := s.loadEntry(ctx, s.db, entryID)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(ctx, actor, auth.ActEntriesRead, e.TypeKey); err != nil {
		return nil, err
	}
	st, err := latestState(ctx, s.db, entryID)
	if err != nil || st == nil {
		return st, err
	}
	return st, s.loadTasks(ctx, s.db, st)
}

func latestState(ctx context.Context, db bun.IDB, entryID string) (*State, error) {
	st := new(State)
	err := db.NewSelect().Model(st).Where("entry_id = ?", entryID).OrderExpr("created_at DESC, id DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error loading workflow state: %w", err)
	}
	return st, nil
}

func (s *Service) loadTasks(ctx context.Context, db bun.IDB, st *State) error {
	return db.NewSelect().Model(&st.Tasks).Where("workflow_state_id = ?", st.ID).OrderExpr("started_at, id").Scan(ctx)
}

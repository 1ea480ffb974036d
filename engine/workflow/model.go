// Package workflow is editorial review: workflows of ordered tasks (group
// approval by role), assigned to content types or page subtrees, and the two
// state machines of docs/state-machines.md: a workflow state per submission
// (in_progress → approved | needs_changes | cancelled) and a task state per
// task (in_progress → approved | rejected | cancelled). At most one
// workflow is open per entry (a partial unique index). A type assigned with
// require_approval cannot be published until the revision being published
// was approved; editors cannot bypass this, admins can (audited).
//
// Every transition is one method and one transaction, with its audit row
// and its workflow event for plugins.
package workflow

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Workflow states.
const (
	StatusInProgress   = "in_progress"
	StatusApproved     = "approved"
	StatusNeedsChanges = "needs_changes"
	StatusCancelled    = "cancelled"
)

// Task states.
const (
	TaskInProgress = "in_progress"
	TaskApproved   = "approved"
	TaskRejected   = "rejected"
	TaskCancelled  = "cancelled"
)

// KindGroupApproval is the built-in task kind: any member of the listed
// roles (or an admin) approves or requests changes.
const KindGroupApproval = "group_approval"

// Workflow is a named, ordered list of tasks.
type Workflow struct {
	bun.BaseModel `bun:"table:workflows"`
	ID            string       `bun:"id,pk" json:"id"`
	Name          string       `bun:"name" json:"name"`
	Active        bool         `bun:"active" json:"active"`
	CreatedAt     time.Time    `bun:"created_at" json:"created_at"`
	Tasks         []Task       `bun:"-" json:"tasks"`
	Assignments   []Assignment `bun:"-" json:"assignments"`
}

// Task is one step of a workflow.
type Task struct {
	bun.BaseModel `bun:"table:workflow_tasks"`
	ID            string          `bun:"id,pk" json:"id"`
	WorkflowID    string          `bun:"workflow_id" json:"-"`
	SortOrder     int             `bun:"sort_order" json:"sort_order"`
	Name          string          `bun:"name" json:"name"`
	Kind          string          `bun:"kind" json:"kind"`
	Config        json.RawMessage `bun:"config" json:"config"`
}

// GroupConfig configures a group approval task.
type GroupConfig struct {
	Roles []string `json:"roles"`
}

// Assignment attaches a workflow to a content type or a page subtree.
type Assignment struct {
	bun.BaseModel   `bun:"table:workflow_assignments"`
	ID              string  `bun:"id,pk" json:"id"`
	WorkflowID      string  `bun:"workflow_id" json:"-"`
	TypeKey         *string `bun:"type_key" json:"type,omitempty"`
	PageID          *string `bun:"page_id" json:"page_id,omitempty"`
	RequireApproval bool    `bun:"require_approval" json:"require_approval"`
}

// State is one submission of an entry to a workflow.
type State struct {
	bun.BaseModel `bun:"table:workflow_states"`
	ID            string      `bun:"id,pk" json:"id"`
	EntryID       string      `bun:"entry_id" json:"entry_id"`
	WorkflowID    string      `bun:"workflow_id" json:"workflow_id"`
	Status        string      `bun:"status" json:"status"`
	RevisionID    string      `bun:"revision_id" json:"revision_id"`
	CurrentTaskID *string     `bun:"current_task_id" json:"current_task_id,omitempty"`
	RequestedBy   *string     `bun:"requested_by" json:"requested_by,omitempty"`
	CreatedAt     time.Time   `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time   `bun:"updated_at" json:"updated_at"`
	Tasks         []TaskState `bun:"-" json:"tasks"`
}

// TaskState is one task's outcome within a submission.
type TaskState struct {
	bun.BaseModel   `bun:"table:task_states"`
	ID              string     `bun:"id,pk" json:"id"`
	WorkflowStateID string     `bun:"workflow_state_id" json:"-"`
	TaskID          string     `bun:"task_id" json:"task_id"`
	RevisionID      string     `bun:"revision_id" json:"revision_id"`
	Status          string     `bun:"status" json:"status"`
	Comment         string     `bun:"comment" json:"comment"`
	StartedAt       time.Time  `bun:"started_at" json:"started_at"`
	FinishedAt      *time.Time `bun:"finished_at" json:"finished_at,omitempty"`
	FinishedBy      *string    `bun:"finished_by" json:"finished_by,omitempty"`
}

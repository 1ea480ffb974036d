package auth

import (
	"fmt"
	"slices"
)

// Role is a management role.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleEditor   Role = "editor"
	RoleReviewer Role = "reviewer"
)

// Roles lists the roles a user or token may have.
var Roles = []Role{RoleAdmin, RoleEditor, RoleReviewer}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want one of admin, editor, reviewer)", s)
}

// Action is something a principal may be allowed to do.
type Action string

const (
	ActEntriesRead    Action = "entries.read"
	ActEntriesCreate  Action = "entries.create"
	ActEntriesUpdate  Action = "entries.update"
	ActEntriesDelete  Action = "entries.delete"
	ActEntriesPublish Action = "entries.publish"
	ActEntriesMove    Action = "entries.move"
	ActEntriesReview  Action = "entries.review"
	ActTypesRead      Action = "types.read"
	ActTypesManage    Action = "types.manage"
	ActUsersManage    Action = "users.manage"
	ActAuditRead      Action = "audit.read"
	ActMediaRead      Action = "media.read"
	ActMediaWrite     Action = "media.write"
)

// Actions lists every action a grant may name.
var Actions = []Action{ActEntriesRead, ActEntriesCreate, ActEntriesUpdate, ActEntriesDelete, ActEntriesPublish,
	ActEntriesMove, ActEntriesReview, ActTypesRead, ActTypesManage, ActUsersManage, ActAuditRead, ActMediaRead, ActMediaWrite}

// Kind says what sort of principal acts.
type Kind string

const (
	KindUser   Kind = "user"
	KindToken  Kind = "token"
	KindPlugin Kind = "plugin"
	KindSystem Kind = "system"
)

// Principal is who performs an action; it is recorded on revisions and in
// the audit log.
type Principal struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	Role Role   `json:"role"`
	// UserID is the user a token belongs to, if any.
	UserID string `json:"user_id,omitempty"`
}

// System is the principal of the engine itself (scheduled publishing, CLI
// maintenance). It has admin rights.
var System = Principal{Kind: KindSystem, ID: "system", Name: "system", Role: RoleAdmin}

package entries

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Entry is a row of the generic entries table: Wagtail's lifecycle columns,
// tree columns and the live values.
type Entry struct {
	bun.BaseModel `bun:"table:entries"`

	ID         string `bun:"id,pk" json:"id"`
	TypeKey    string `bun:"type_key" json:"type"`
	Title      string `bun:"title" json:"title"`
	DraftTitle string `bun:"draft_title" json:"draft_title"`
	Slug       string `bun:"slug" json:"slug"`
	SlugScope  string `bun:"slug_scope" json:"-"`

	ParentID  *string `bun:"parent_id" json:"parent_id"`
	Path      string  `bun:"path" json:"-"`
	Depth     int     `bun:"depth" json:"depth"`
	URLPath   *string `bun:"url_path" json:"url_path"`
	SortOrder int     `bun:"sort_order" json:"sort_order"`

	Fields   json.RawMessage `bun:"fields" json:"-"`
	Rendered json.RawMessage `bun:"rendered" json:"-"`

	Live                  bool       `bun:"live" json:"live"`
	HasUnpublishedChanges bool       `bun:"has_unpublished_changes" json:"has_unpublished_changes"`
	LatestRevisionID      *string    `bun:"latest_revision_id" json:"latest_revision_id"`
	LiveRevisionID        *string    `bun:"live_revision_id" json:"live_revision_id"`
	FirstPublishedAt      *time.Time `bun:"first_published_at" json:"first_published_at"`
	LastPublishedAt       *time.Time `bun:"last_published_at" json:"last_published_at"`
	GoLiveAt              *time.Time `bun:"go_live_at" json:"go_live_at"`
	ExpireAt              *time.Time `bun:"expire_at" json:"expire_at"`
	Expired               bool       `bun:"expired" json:"expired"`
	Locked                bool       `bun:"locked" json:"locked"`
	LockedAt              *time.Time `bun:"locked_at" json:"locked_at,omitempty"`
	LockedBy              *string    `bun:"locked_by" json:"locked_by,omitempty"`
	LockExpiresAt         *time.Time `bun:"lock_expires_at" json:"lock_expires_at,omitempty"`
	OwnerID               *string    `bun:"owner_id" json:"owner_id,omitempty"`
	CreatedAt             time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt             time.Time  `bun:"updated_at" json:"updated_at"`
}

// Revision is an immutable snapshot of an entry's editable content.
type Revision struct {
	bun.BaseModel `bun:"table:revisions"`

	ID         string          `bun:"id,pk" json:"id"`
	EntryID    string          `bun:"entry_id" json:"entry_id"`
	TypeKey    string          `bun:"type_key" json:"type"`
	Number     int             `bun:"number" json:"number"`
	Title      string          `bun:"title" json:"title"`
	Slug       string          `bun:"slug" json:"slug"`
	Fields     json.RawMessage `bun:"fields" json:"fields"`
	SchemaHash string          `bun:"schema_hash" json:"schema_hash"`
	AuthorID   *string         `bun:"author_id" json:"author_id,omitempty"`
	AuthorKind string          `bun:"author_kind" json:"author_kind"`
	Message    string          `bun:"message" json:"message"`
	CreatedAt  time.Time       `bun:"created_at" json:"created_at"`
	// Autosave marks a revision that later autosaves (and the next explicit
	// save) of the same author overwrite instead of adding to history.
	Autosave  bool       `bun:"autosave" json:"autosave"`
	UpdatedAt *time.Time `bun:"updated_at" json:"updated_at,omitempty"`
}

// Draft is an entry with its latest revision: what the management API shows.
type Draft struct {
	*Entry
	Revision *Revision `json:"latest_revision"`
}

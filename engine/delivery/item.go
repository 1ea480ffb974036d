package delivery

import (
	"bytes"
	"encoding/json"
	"time"
)

// Item is a published entry as the delivery API returns it.
type Item struct {
	ID               string          `json:"id"`
	Type             string          `json:"type"`
	Title            string          `json:"title"`
	Slug             string          `json:"slug"`
	URLPath          *string         `json:"url_path,omitempty"`
	ParentID         *string         `json:"parent_id,omitempty"`
	FirstPublishedAt time.Time       `json:"first_published_at"`
	PublishedAt      time.Time       `json:"published_at"`
	Fields           json.RawMessage `json:"fields"`
	// Refs are the ids of the entries expanded into Fields (for cache tags).
	Refs []string `json:"-"`
}

// row is what delivery reads from entries.
type row struct {
	ID               string          `bun:"id"`
	TypeKey          string          `bun:"type_key"`
	Title            string          `bun:"title"`
	Slug             string          `bun:"slug"`
	URLPath          *string         `bun:"url_path"`
	ParentID         *string         `bun:"parent_id"`
	FirstPublishedAt time.Time       `bun:"first_published_at"`
	LastPublishedAt  time.Time       `bun:"last_published_at"`
	Rendered         json.RawMessage `bun:"rendered"`
	SortText         *string         `bun:"sort_text"`
	SortNum          *float64        `bun:"sort_num"`
	Rank             float64         `bun:"rank"`
}

var rowColumns = []string{"e.id", "e.type_key", "e.title", "e.slug", "e.url_path", "e.parent_id",
	"e.first_published_at", "e.last_published_at", "e.rendered"}

func (r *row) item() Item {
	return Item{ID: r.ID, Type: r.TypeKey, Title: r.Title, Slug: r.Slug, URLPath: r.URLPath, ParentID: r.ParentID,
		FirstPublishedAt: r.FirstPublishedAt.UTC(), PublishedAt: r.LastPublishedAt.UTC(), Fields: r.Rendered}
}

// Page is one page of a list.
type Page struct {
	Items      []Item  `json:"items"`
	NextCursor *string `json:"next_cursor"`
	Limit      int     `json:"limit"`
}

// marshalJSON encodes without HTML escaping (rendered rich text).
func marshalJSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

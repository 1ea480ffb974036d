package delivery

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
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
	Live             bool            `bun:"live"`
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

// appendJSONString appends s as a JSON string (encoding/json's escaping,
// minus HTML escaping).
func appendJSONString(b []byte, s string) []byte {
	if plainJSON(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}

// appendItem appends the JSON of it without re-validating its Fields,
// which come from the database as valid JSON (encoding/json would scan and
// compact them again: the largest cost of rendering many items).
func appendItem(b []byte, it *Item) []byte {
	b = slices.Grow(b, 256+len(it.Fields))
	b = append(b, `{"id":`...)
	b = appendJSONString(b, it.ID)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, it.Type)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, it.Title)
	b = append(b, `,"slug":`...)
	b = appendJSONString(b, it.Slug)
	if it.URLPath != nil {
		b = append(b, `,"url_path":`...)
		b = appendJSONString(b, *it.URLPath)
	}
	if it.ParentID != nil {
		b = append(b, `,"parent_id":`...)
		b = appendJSONString(b, *it.ParentID)
	}
	b = append(b, `,"first_published_at":"`...)
	b = it.FirstPublishedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","published_at":"`...)
	b = it.PublishedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","fields":`...)
	if len(it.Fields) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, it.Fields...)
	}
	return append(b, '}')
}

// JSON returns the item's JSON (see appendItem).
func (it *Item) JSON() []byte { return appendItem(nil, it) }

// JSON returns the page's JSON without re-validating the items' fields.
func (p *Page) JSON() []byte {
	b := append(make([]byte, 0, 512*len(p.Items)+64), `{"items":[`...)
	for i := range p.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendItem(b, &p.Items[i])
	}
	b = append(b, `],"next_cursor":`...)
	if p.NextCursor == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *p.NextCursor)
	}
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(p.Limit), 10)
	return append(b, '}')
}

// plainJSON reports whether s can be written between quotes as it is:
// printable ASCII without '"' or '\\' (ids, slugs, most titles). Anything
// else (controls, non-ASCII, which encoding/json checks for invalid UTF-8
// and U+2028/U+2029) takes the encoder.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

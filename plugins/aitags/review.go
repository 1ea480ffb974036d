package aitags

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// Tag review statuses (the choices of tag_review.status).
const (
	StatusDraft    = "draft"    // AI-drafted, needs an editor's review
	StatusReviewed = "reviewed" // an editor reviewed the suggestions
	StatusFailed   = "failed"   // drafting failed; see tag_review.error
)

// Suggestion sources (the choices of a suggestion's source).
const (
	SourceAI     = "ai"
	SourceEditor = "editor"
)

// Field names the plugin reads and writes.
const (
	fieldBody      = "body"
	fieldMotifs    = "motifs"
	fieldTagReview = "tag_review"
)

// maxErrorLength bounds tag_review.error.
const maxErrorLength = 500

// passage is what the plugin reads from an entry.
type passage struct {
	// text is the text sent to the model: the title, then the text of the
	// body blocks.
	text string
	// hash is the hash of text.
	hash string
	// review is tag_review as stored (nil when absent).
	review map[string]any
	// motifs are the editor-accepted tags.
	motifs []string
}

// readPassage reads the text, its hash, the tag review and the motifs of e.
func readPassage(e *sdk.Entry) passage {
	p := passage{text: entryText(e.Title, e.Fields[fieldBody])}
	sum := sha256.Sum256([]byte(p.text))
	p.hash = hex.EncodeToString(sum[:])
	p.review, _ = e.Fields[fieldTagReview].(map[string]any)
	p.motifs = stringList(e.Fields[fieldMotifs])
	return p
}

// storedHash is the text hash the last draft (or failure) recorded.
func (p passage) storedHash() string {
	h, _ := p.review["text_hash"].(string)
	return h
}

// status is the tag review's status ("" when none).
func (p passage) status() string {
	s, _ := p.review["status"].(string)
	return s
}

// entryText is the title followed by the text of each block of body (a
// StreamField): a paragraph's markdown, a heading, a quote's text, a
// scripture's reference and text. Attributions, translations and other
// metadata are left out: they do not change what the passage is about.
// Blocks are separated by blank lines.
func entryText(title string, body any) string {
	parts := []string{}
	if t := strings.TrimSpace(title); t != "" {
		parts = append(parts, t)
	}
	switch b := body.(type) {
	case string: // a richtext body
		if s := strings.TrimSpace(b); s != "" {
			parts = append(parts, s)
		}
	case []any:
		for _, raw := range b {
			block, _ := raw.(map[string]any)
			if t := blockText(block["value"]); t != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}

// blockMembers are the members of a struct block that carry its text, in
// the order they are read (scripture: reference, then text).
var blockMembers = []string{"heading", "reference", "text"}

// blockText is the text of a block's value: a string value as it is
// (paragraph, heading), and the text members of a struct value.
func blockText(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case map[string]any:
		var lines []string
		for _, m := range blockMembers {
			if s, ok := x[m].(string); ok && strings.TrimSpace(s) != "" {
				lines = append(lines, strings.TrimSpace(s))
			}
		}
		return strings.Join(lines, "\n")
	}
	return ""
}

// stringList reads a tags value.
func stringList(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// outcome is what a draft_tags run records on the passage: new AI
// suggestions, or a failure.
type outcome struct {
	hash  string
	model string
	at    time.Time
	// tags are the AI's suggestions (when failure is empty).
	tags []proposal
	// failure is the error to record; empty records the tags.
	failure string
}

// apply returns the tag review of p with the outcome applied. Members it
// does not own are kept as they are. On success the AI suggestions are
// replaced by o.tags, minus the tags already accepted as motifs or
// suggested by an editor; every suggestion that is not the AI's is kept
// as stored (with its item id). On failure the suggestions are kept.
func (o outcome) apply(p passage) map[string]any {
	review := maps.Clone(p.review)
	if review == nil {
		review = map[string]any{}
	}
	review["text_hash"] = o.hash
	review["model"] = o.model
	if o.failure != "" {
		review["status"] = StatusFailed
		review["error"] = truncate(o.failure, maxErrorLength)
		return review
	}
	review["status"] = StatusDraft
	review["drafted_at"] = o.at.UTC().Format(time.RFC3339)
	delete(review, "error")

	taken := map[string]bool{}
	for _, m := range p.motifs {
		taken[strings.ToLower(m)] = true
	}
	items := []any{}
	existing, _ := review["suggestions"].([]any)
	for _, raw := range existing {
		item, _ := raw.(map[string]any)
		value, _ := item["value"].(map[string]any)
		if value == nil {
			value = item // a bare item value (not in stored form)
		}
		if src, _ := value["source"].(string); src == SourceAI {
			continue
		}
		if tag, ok := value["tag"].(string); ok {
			taken[strings.ToLower(tag)] = true
		}
		items = append(items, raw)
	}
	for _, t := range o.tags {
		if taken[strings.ToLower(t.Tag)] {
			continue
		}
		items = append(items, map[string]any{"type": "item", "value": map[string]any{
			"tag": t.Tag, "confidence": t.Confidence, "source": SourceAI,
		}})
	}
	if len(items) == 0 {
		delete(review, "suggestions")
	} else {
		review["suggestions"] = items
	}
	return review
}

// withReview returns a copy of fields with tag_review replaced.
func withReview(fields contenttypes.Values, review map[string]any) contenttypes.Values {
	out := maps.Clone(fields)
	if out == nil {
		out = contenttypes.Values{}
	}
	out[fieldTagReview] = review
	return out
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

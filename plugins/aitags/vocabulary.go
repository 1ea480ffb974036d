package aitags

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/inklingcms/inkling/plugins/sdk"
)

// MaxVocabulary bounds the vocabulary sent to the model.
const MaxVocabulary = 2000

// lister lists entries (the part of *sdk.Host the vocabulary needs).
type lister interface {
	Entries(ctx context.Context, p sdk.ListParams) iter.Seq2[*sdk.Entry, error]
}

// vocabulary is the managed vocabulary: the vocabulary setting, or else
// the distinct motifs of every entry of the configured types, published
// and drafts, sorted without regard to case.
func vocabulary(ctx context.Context, h lister, cfg *config) ([]string, error) {
	if cfg.vocabulary != nil {
		return cfg.vocabulary, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, typ := range cfg.types {
		for _, published := range []bool{false, true} {
			for e, err := range h.Entries(ctx, sdk.ListParams{Type: typ, Published: published, Limit: 100}) {
				if err != nil {
					return nil, fmt.Errorf("aitags: listing %s entries for the vocabulary: %w", typ, err)
				}
				for _, m := range stringList(e.Fields[fieldMotifs]) {
					m = strings.Join(strings.Fields(m), " ")
					if k := strings.ToLower(m); m != "" && !seen[k] {
						seen[k] = true
						out = append(out, m)
					}
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a), strings.ToLower(b)), cmp.Compare(a, b))
	})
	if len(out) > MaxVocabulary {
		out = out[:MaxVocabulary]
	}
	return out, nil
}

// proposal is a tag with its confidence.
type proposal struct {
	Tag        string
	Confidence float64
}

// rawProposal is a tag as the model proposed it: the confidence may be a
// number or a numeric string, or be missing.
type rawProposal struct {
	Tag        string          `json:"tag"`
	Confidence json.RawMessage `json:"confidence"`
}

// selectTags keeps the proposals whose tag is in the vocabulary (matched
// without regard to case or repeated spaces, and spelt as the vocabulary
// spells it) with a usable confidence (a number, or a numeric string,
// clamped to [0, 1] and rounded to two decimals). A tag proposed twice
// keeps its highest confidence. The result is sorted by confidence, then
// tag, and holds at most max tags.
func selectTags(props []rawProposal, vocab []string, max int) []proposal {
	spelling := make(map[string]string, len(vocab))
	for _, v := range vocab {
		if k := tagKey(v); k != "" {
			if _, dup := spelling[k]; !dup {
				spelling[k] = v
			}
		}
	}
	best := map[string]float64{}
	for _, p := range props {
		tag, ok := spelling[tagKey(p.Tag)]
		if !ok {
			continue
		}
		c, ok := confidence(p.Confidence)
		if !ok {
			continue
		}
		if old, dup := best[tag]; !dup || c > old {
			best[tag] = c
		}
	}
	out := make([]proposal, 0, len(best))
	for tag, c := range best {
		out = append(out, proposal{Tag: tag, Confidence: c})
	}
	slices.SortFunc(out, func(a, b proposal) int {
		return cmp.Or(cmp.Compare(b.Confidence, a.Confidence), cmp.Compare(a.Tag, b.Tag))
	})
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// tagKey is the form tags are matched in.
func tagKey(tag string) string { return strings.ToLower(strings.Join(strings.Fields(tag), " ")) }

// confidence reads a confidence: a JSON number or numeric string, clamped
// to [0, 1] and rounded to two decimals.
func confidence(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, false
		}
		f = v
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	f = min(max(f, 0), 1)
	return math.Round(f*100) / 100, true
}

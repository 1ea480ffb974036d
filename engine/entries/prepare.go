package entries

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// MaxTitleLength and MaxSlugLength bound the core columns.
const (
	MaxTitleLength = 255
	MaxSlugLength  = 200
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// Slugify derives a URL slug from a title: lowercase ASCII letters and
// digits separated by single hyphens; accents are dropped ("Café" → "cafe").
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(title) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		default:
			dash = true
		}
		if b.Len() >= MaxSlugLength {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > MaxSlugLength {
		s = strings.Trim(s[:MaxSlugLength], "-")
	}
	return s
}

// content is a validated title, slug and field values.
type content struct {
	title  string
	slug   string
	values contenttypes.Values
	raw    json.RawMessage // canonical JSON of values
}

// prepare validates a title, slug and raw field values for type t and
// checks that referenced entries exist with an allowed type. All problems
// come back together as one Invalid error with diagnostics.
func (s *Service) prepare(ctx context.Context, db bun.IDB, t *registry.Type, title, slug string, raw json.RawMessage, create bool) (*content, error) {
	var diags contenttypes.Diagnostics
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		diags.AppendError("title", contenttypes.CodeRequired, "a title is required")
	case len([]rune(title)) > MaxTitleLength:
		diags.AppendErrorf("title", contenttypes.CodeTooLong, "at most %d characters", MaxTitleLength)
	}
	slug = strings.TrimSpace(slug)
	if slug == "" {
		slug = Slugify(title)
		if slug == "" && title != "" {
			diags.AppendError("slug", contenttypes.CodeRequired, "the title gives no usable slug; set one")
		}
	} else if !slugPattern.MatchString(slug) || len(slug) > MaxSlugLength {
		diags.AppendErrorf("slug", contenttypes.CodeInvalidFormat,
			"expected lowercase letters, digits and single hyphens (at most %d characters), got %q", MaxSlugLength, slug)
	}
	values, vd := t.Prepare(raw, &contenttypes.PrepareOptions{ApplyDefaults: create})
	diags = append(diags, vd...)
	if !diags.HasError() {
		refDiags, err := s.checkReferences(ctx, db, &t.ContentType, values)
		if err != nil {
			return nil, err
		}
		diags = append(diags, refDiags...)
	}
	if diags.HasError() {
		return nil, apperr.Validation("the entry is invalid", diags.Errors())
	}
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("error encoding values: %w", err)
	}
	return &content{title: title, slug: slug, values: values, raw: b}, nil
}

// checkReferences reports references to missing entries or entries of a
// type the field does not allow.
func (s *Service) checkReferences(ctx context.Context, db bun.IDB, ct *contenttypes.ContentType, v contenttypes.Values) (contenttypes.Diagnostics, error) {
	refs := ct.References(v)
	if len(refs) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(refs))
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	var rows []struct {
		ID      string `bun:"id"`
		TypeKey string `bun:"type_key"`
	}
	if err := db.NewSelect().Table("entries").Column("id", "type_key").Where("id IN (?)", bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("error checking references: %w", err)
	}
	found := make(map[string]string, len(rows))
	for _, r := range rows {
		found[r.ID] = r.TypeKey
	}
	var diags contenttypes.Diagnostics
	for _, r := range refs {
		typ, ok := found[r.ID]
		switch {
		case !ok:
			diags.AppendErrorf(r.Path, contenttypes.CodeInvalidReference, "no entry with id %q", r.ID)
		case len(r.AllowedTypes) > 0 && !contains(r.AllowedTypes, typ):
			diags.AppendErrorf(r.Path, contenttypes.CodeInvalidReference, "entry %s is a %s; allowed: %s", r.ID, typ, strings.Join(r.AllowedTypes, ", "))
		}
	}
	return diags, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

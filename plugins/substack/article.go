package substack

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/mmcdole/gofeed"
)

// ArticleType is the content type synced posts are saved as (declared by
// the cslewis plugin).
const ArticleType = "article"

// Source is the value of the article's source field for synced posts.
const Source = "substack"

// managedFields are the article fields a sync owns: it compares them with
// the stored values and overwrites them. Other fields of the entry are
// kept as they are.
var managedFields = []string{"guid", "author", "canonical_url", "published_date", "excerpt", "body", "source"}

// article is a feed item mapped to an article entry.
type article struct {
	GUID   string
	Title  string
	Slug   string // "" lets the host derive it from the title
	Fields map[string]string
}

// mapItem maps a feed item to an article. An item that cannot become a
// valid article is an error naming every problem.
func (s *sanitizer) mapItem(it *gofeed.Item) (*article, error) {
	var problems []string
	a := &article{GUID: strings.TrimSpace(it.GUID), Fields: map[string]string{"source": Source}}
	if a.GUID == "" {
		problems = append(problems, "the item has no guid")
	}
	a.Fields["guid"] = a.GUID

	a.Title = s.plainText(it.Title)
	if a.Title == "" {
		problems = append(problems, "the item has no title")
	}

	link := strings.TrimSpace(it.Link)
	switch u, err := url.Parse(link); {
	case link == "":
		problems = append(problems, "the item has no link")
	case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil:
		problems = append(problems, fmt.Sprintf("the link %q is not an https URL (canonical_url must be https)", link))
	default:
		a.Fields["canonical_url"] = u.String()
		a.Slug = slugFromPath(u.Path)
	}

	switch {
	case it.PublishedParsed != nil:
		a.Fields["published_date"] = it.PublishedParsed.UTC().Format(time.RFC3339Nano)
	case strings.TrimSpace(it.Published) != "":
		problems = append(problems, fmt.Sprintf("the pubDate %q is not a date", it.Published))
	}

	if p := firstAuthor(it); p != "" {
		a.Fields["author"] = s.plainText(p)
	}
	if ex := s.excerpt(it.Description); ex != "" {
		a.Fields["excerpt"] = ex
	}
	src := it.Content
	if strings.TrimSpace(src) == "" {
		src = it.Description
	}
	body, err := s.bodyMarkdown(src)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if body != "" {
		a.Fields["body"] = body
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return a, nil
}

func firstAuthor(it *gofeed.Item) string {
	for _, p := range it.Authors {
		if p != nil && strings.TrimSpace(p.Name) != "" {
			return p.Name
		}
	}
	if it.Author != nil {
		return it.Author.Name
	}
	return ""
}

// slugFromPath takes the slug of a Substack post URL (/p/the-slug), or the
// last segment of another path, normalised to the host's slug syntax
// (lowercase ASCII letters and digits, single hyphens). It returns "" when
// nothing usable is left.
func slugFromPath(p string) string {
	segs := strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
	if len(segs) == 0 {
		return ""
	}
	seg := segs[len(segs)-1]
	for i, s := range segs {
		if s == "p" && i+1 < len(segs) {
			seg = segs[i+1]
			break
		}
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(seg) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > 200 {
		s = strings.Trim(s[:200], "-")
	}
	return s
}

// values returns the fields to save: the stored values (fields the sync
// does not own stay as they are) with the managed fields replaced.
func (a *article) values(stored contenttypes.Values) contenttypes.Values {
	out := contenttypes.Values{}
	for k, v := range stored {
		out[k] = v
	}
	for _, k := range managedFields {
		if v := a.Fields[k]; v != "" {
			out[k] = v
		} else {
			delete(out, k)
		}
	}
	return out
}

// differs lists what differs between a and the stored entry (title, slug,
// managed fields), for the revision message; nil when nothing does.
func (a *article) differs(title, slug string, stored contenttypes.Values) []string {
	var out []string
	if a.Title != title {
		out = append(out, "title")
	}
	if a.Slug != "" && a.Slug != slug {
		out = append(out, "slug")
	}
	for _, k := range managedFields {
		have, _ := stored[k].(string)
		if a.Fields[k] != have {
			out = append(out, k)
		}
	}
	return out
}

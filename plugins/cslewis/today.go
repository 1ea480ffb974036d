package cslewis

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// Settings of the plugin.
const (
	// SettingTimezone is the editorial time zone "today" is computed in
	// (an IANA name; default UTC).
	SettingTimezone = "timezone"
	// SettingMediaBaseURL turns media keys into URLs (the CDN in front of
	// the media bucket), e.g. https://media.example.org/.
	SettingMediaBaseURL = "media_base_url"
)

var (
	rendererOnce sync.Once
	renderer     *contenttypes.Renderer
)

// render renders an entry's rich text as the delivery API does.
func render(ct contenttypes.ContentType, v contenttypes.Values) contenttypes.Values {
	rendererOnce.Do(func() { renderer = contenttypes.NewRenderer() })
	return ct.Render(v, renderer)
}

// PurchaseLink is one rung of a work's source ladder.
type PurchaseLink struct {
	Label     string `json:"label"`
	URL       string `json:"url"`
	Retailer  string `json:"retailer,omitempty"`
	Affiliate bool   `json:"affiliate,omitempty"`
}

// WorkView is a work as the app shows it.
type WorkView struct {
	ID            string         `json:"id"`
	Title         string         `json:"title"`
	Author        string         `json:"author"`
	Year          *int64         `json:"year,omitempty"`
	Kind          string         `json:"kind"`
	CoverURL      *string        `json:"cover_url"`
	AudioAllowed  bool           `json:"audio_allowed"`
	PurchaseLinks []PurchaseLink `json:"purchase_links"`
	Description   any            `json:"description,omitempty"`
}

// TodayView is GET /api/v1/today's answer.
type TodayView struct {
	Date             string            `json:"date"`
	Register         string            `json:"register"`
	Note             any               `json:"note,omitempty"`
	Passage          map[string]any    `json:"passage"`
	Work             *WorkView         `json:"work"`
	AudioURL         *string           `json:"audio_url"`
	FeaturedImageURL *string           `json:"featured_image_url"`
	Drop             map[string]string `json:"drop"`
}

// mediaURL is the public URL of the media key in field, nil when empty:
// behind the host's media URL (its CDN or /media/), unless the
// media_base_url setting overrides it.
func mediaURL(h *sdk.Host, v contenttypes.Values, field string) *string {
	key, _ := v[field].(string)
	return keyURL(h, key)
}

func keyURL(h *sdk.Host, key string) *string {
	if key == "" {
		return nil
	}
	if base := h.Setting(SettingMediaBaseURL); base != "" {
		u := strings.TrimRight(base, "/") + "/" + strings.TrimLeft(key, "/")
		return &u
	}
	u := h.MediaURL(key)
	return &u
}

// AudioRole is the attachment role of generated narration (the elevenlabs
// plugin attaches it on publish).
const AudioRole = "audio"

// audioURL is the URL of a passage's audio: the editor's audio field when
// set, else the narration generated for it (an attachment, which is not
// revisioned).
func audioURL(ctx context.Context, h *sdk.Host, passage *sdk.Entry) (*string, error) {
	if u := mediaURL(h, passage.Fields, "audio"); u != nil {
		return u, nil
	}
	media, err := h.EntryMedia(ctx, passage.ID, AudioRole)
	if err != nil {
		return nil, err
	}
	if len(media) == 0 {
		return nil, nil
	}
	return keyURL(h, media[0].Key), nil
}

func workView(h *sdk.Host, w *sdk.Entry) *WorkView {
	v := render(workType(), w.Fields)
	wv := &WorkView{ID: w.ID, Title: w.Title, PurchaseLinks: []PurchaseLink{}, CoverURL: mediaURL(h, w.Fields, "cover")}
	wv.Author, _ = v["author"].(string)
	wv.Kind, _ = v["kind"].(string)
	if y, ok := w.Fields["year"]; ok {
		var n int64
		if err := decodeNumber(y, &n); err == nil {
			wv.Year = &n
		}
	}
	if rights, ok := v["rights"].(map[string]any); ok {
		wv.AudioAllowed, _ = rights["audio_allowed"].(bool)
	}
	if links, ok := v["purchase_links"].([]any); ok {
		for _, l := range links {
			item, _ := l.(map[string]any)
			val, _ := item["value"].(map[string]any)
			pl := PurchaseLink{}
			pl.Label, _ = val["label"].(string)
			pl.URL, _ = val["url"].(string)
			pl.Retailer, _ = val["retailer"].(string)
			pl.Affiliate, _ = val["affiliate"].(bool)
			wv.PurchaseLinks = append(wv.PurchaseLinks, pl)
		}
	}
	if d, ok := v["description"]; ok {
		wv.Description = d
	}
	return wv
}

// todayEndpoint is GET /api/v1/today?register=R[&date=YYYY-MM-DD].
func todayEndpoint() sdk.Endpoint {
	return sdk.Endpoint{
		Method:  "GET",
		Path:    "/today",
		Summary: "Today's passage in a register",
		Description: "The daily drop for the date (default: today in the editorial time zone) and register, with its passage, " +
			"the passage's work (title, purchase links), the audio URL (only when the work's rights allow audio) and the featured image URL.",
		Params: []sdk.Param{
			{Name: "register", Required: true, Description: "the reading register", Schema: map[string]any{"type": "string", "enum": anySlice(Registers)}},
			{Name: "date", Description: "YYYY-MM-DD; default today in the editorial time zone", Schema: map[string]any{"type": "string", "format": "date"}},
		},
		ResponseSchema: map[string]any{"type": "object", "required": []any{"date", "register", "passage", "work", "audio_url", "featured_image_url"},
			"properties": map[string]any{
				"date": map[string]any{"type": "string", "format": "date"}, "register": map[string]any{"type": "string"},
				"passage": map[string]any{"type": "object"}, "work": map[string]any{"oneOf": []any{workSchema, map[string]any{"type": "null"}}},
				"audio_url":          map[string]any{"type": []any{"string", "null"}, "description": "null when the work has no audio rights"},
				"featured_image_url": map[string]any{"type": []any{"string", "null"}},
				"note":               map[string]any{"type": "object"}, "drop": map[string]any{"type": "object"},
			}},
		CacheMaxAge: 5 * time.Minute,
		Handle:      today,
	}
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Today computes "today" in the editorial time zone.
func Today(now time.Time, tz string) (string, error) {
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return "", err
	}
	return now.In(loc).Format(time.DateOnly), nil
}

func today(ctx context.Context, h *sdk.Host, r *sdk.Request) (*sdk.Response, error) {
	register := r.QueryParam("register", "")
	var diags contenttypes.Diagnostics
	if !slices.Contains(Registers, register) {
		diags.AppendErrorf("register", contenttypes.CodeInvalidChoice, "expected one of %s, got %q", strings.Join(Registers, ", "), register)
	}
	date := r.QueryParam("date", "")
	if date == "" {
		d, err := Today(time.Now(), h.Setting(SettingTimezone))
		if err != nil {
			return nil, err
		}
		date = d
	} else if _, err := time.Parse(time.DateOnly, date); err != nil {
		diags.AppendErrorf("date", contenttypes.CodeInvalidFormat, "expected YYYY-MM-DD, got %q", date)
	}
	if diags.HasError() {
		return nil, sdk.Invalid(diags)
	}
	list, err := h.ListEntries(ctx, sdk.ListParams{Type: "daily_drop", Published: true, Limit: 1,
		Filters: map[string]string{"date": date, "register": register}})
	if err != nil {
		return nil, err
	}
	if len(list.Entries) == 0 {
		return nil, sdk.NotFound("no %s drop for %s", register, date)
	}
	drop := list.Entries[0]
	passageID, _ := drop.Fields["passage"].(string)
	passage, err := h.GetEntry(ctx, passageID, true)
	if errors.Is(err, sdk.ErrNotFound) {
		return nil, sdk.NotFound("the %s drop for %s points at a passage that is not published", register, date)
	}
	if err != nil {
		return nil, err
	}
	view := TodayView{Date: date, Register: register, Drop: map[string]string{"id": drop.ID, "title": drop.Title},
		FeaturedImageURL: mediaURL(h, passage.Fields, "featured_image")}
	dv := render(dailyDropType(), drop.Fields)
	if n, ok := dv["note"]; ok {
		view.Note = n
	}
	view.Passage = map[string]any{"id": passage.ID, "title": passage.Title, "slug": passage.Slug, "fields": passageFields(passage.Fields)}
	tags := []string{drop.ID, passage.ID, "type:daily_drop"}
	if workID, _ := passage.Fields["work"].(string); workID != "" {
		if w, err := h.GetEntry(ctx, workID, true); err == nil {
			view.Work = workView(h, w)
			tags = append(tags, w.ID)
			// Audio rights (e.g. none for Narnia) gate the audio URL.
			if view.Work.AudioAllowed {
				if view.AudioURL, err = audioURL(ctx, h, passage); err != nil {
					return nil, err
				}
			}
		} else if !errors.Is(err, sdk.ErrNotFound) {
			return nil, err
		}
	}
	return sdk.OK(view, tags...), nil
}

// passageFields renders a passage's fields for the app, without the
// editorial ones (tag review, raw media keys): media come as URLs next to
// them, audio only when the work allows it.
func passageFields(v contenttypes.Values) contenttypes.Values {
	out := render(passageType(), v)
	delete(out, "tag_review")
	delete(out, "audio")
	delete(out, "featured_image")
	return out
}

// workEndpoint is GET /api/v1/works/{id}.
func workEndpoint() sdk.Endpoint {
	return sdk.Endpoint{
		Method: "GET", Path: "/works/{id}", Summary: "A work, with its purchase links and rights",
		Params:         []sdk.Param{{Name: "id", In: sdk.InPath, Required: true, Description: "the work id"}},
		ResponseSchema: workSchema,
		CacheMaxAge:    5 * time.Minute,
		Handle: func(ctx context.Context, h *sdk.Host, r *sdk.Request) (*sdk.Response, error) {
			w, err := h.GetEntry(ctx, r.PathParam("id"), true)
			if errors.Is(err, sdk.ErrNotFound) || (err == nil && w.Type != "work") {
				return nil, sdk.NotFound("no published work %q", r.PathParam("id"))
			}
			if err != nil {
				return nil, err
			}
			return sdk.OK(workView(h, w), w.ID), nil
		},
	}
}

var workSchema = map[string]any{
	"type":     "object",
	"required": []any{"id", "title", "author", "kind", "cover_url", "audio_allowed", "purchase_links"},
	"properties": map[string]any{
		"id": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
		"author": map[string]any{"type": "string"}, "year": map[string]any{"type": "integer"},
		"kind":          map[string]any{"type": "string", "enum": anySlice(WorkKinds)},
		"cover_url":     map[string]any{"type": []any{"string", "null"}},
		"audio_allowed": map[string]any{"type": "boolean", "description": "narrated audio may be served for passages of this work"},
		"purchase_links": map[string]any{"type": "array", "description": "the source ladder, in order", "items": map[string]any{
			"type": "object", "required": []any{"label", "url"},
			"properties": map[string]any{"label": map[string]any{"type": "string"}, "url": map[string]any{"type": "string"},
				"retailer": map[string]any{"type": "string"}, "affiliate": map[string]any{"type": "boolean"}},
		}},
		"description": map[string]any{"type": "object", "description": "rich text: {markdown, html}"},
	},
}

// Package media stores media assets (images, audio, documents) for
// entries: uploads through the management API, files plugins store through
// the Host service, media attached to an entry by a plugin (a generated
// narration), and image renditions.
//
// Keys are content-addressed: the SHA-256 of the bytes in hex plus an
// extension for the detected type ("9f86…08.jpg"). A key never changes
// meaning, so its URL may be cached forever by browsers and the CDN, and
// the same bytes uploaded twice are stored once. The bytes live in a
// [Blobs] store (local disk or S3); the metadata (type, size, image
// dimensions, focal point, alt text) lives in the database.
package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders for image.DecodeConfig and renditions
	_ "image/jpeg"
	_ "image/png"
	"io"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
	_ "golang.org/x/image/webp" // WebP decoder
	"golang.org/x/sync/singleflight"
)

// Blobs stores the bytes of media under their keys. localblobs and s3blobs
// implement it.
type Blobs interface {
	Put(ctx context.Context, key string, data []byte, contentType string) error
	// Open reads an object; a missing one is an apperr.NotFound error.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Exists(ctx context.Context, key string) (bool, error)
	Name() string
}

// Authorizer checks a principal's rights (*auth.Service).
type Authorizer interface {
	Require(ctx context.Context, p auth.Principal, action auth.Action, typeKey string) error
}

// Invalidator purges cached delivery responses by tag (the cache relay),
// so that an endpoint showing an entry's attachment shows the new one.
type Invalidator interface {
	InvalidateTags(ctx context.Context, tags []string) error
}

// DefaultMaxBytes is the default size limit of one asset.
const DefaultMaxBytes = 32 << 20

// DefaultTypes are the content types accepted by default. SVG and HTML are
// not: served from the CMS's origin they could run script.
var DefaultTypes = []string{
	"image/jpeg", "image/png", "image/gif", "image/webp",
	"audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav", "audio/x-wav",
	"video/mp4", "application/pdf", "text/plain",
}

// maxPixels bounds the images the service decodes (width × height), so a
// small file that claims huge dimensions cannot exhaust memory.
const maxPixels = 50_000_000

// Options configure a Service.
type Options struct {
	// PublicBaseURL prefixes keys in public URLs: a CDN in front of the
	// bucket ("https://media.example.org/"), or the host's own /media/
	// (the default).
	PublicBaseURL string
	// MaxBytes limits one asset (default DefaultMaxBytes).
	MaxBytes int64
	// Types are the accepted content types (default DefaultTypes).
	Types []string
	// RenditionSizes, when set, are the only widths and heights renditions
	// may have: the public rendition endpoint could otherwise be made to
	// generate and store any number of sizes. Nil allows any size up to
	// MaxRenditionSide.
	RenditionSizes []int
	// Invalidator, when set, is told the entry of a changed attachment.
	Invalidator Invalidator
	Logger      *slog.Logger
	Now         func() time.Time
}

// Service manages media assets.
type Service struct {
	db    *store.DB
	blobs Blobs
	authz Authorizer
	opts  Options
	log   *slog.Logger
	group singleflight.Group // concurrent renditions of one spec
}

// New returns a media service storing bytes in blobs. authz may be nil
// only in tests that do not check rights.
func New(db *store.DB, blobs Blobs, authz Authorizer, opts Options) *Service {
	if opts.PublicBaseURL == "" {
		opts.PublicBaseURL = "/media/"
	}
	if !strings.HasSuffix(opts.PublicBaseURL, "/") {
		opts.PublicBaseURL += "/"
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if len(opts.Types) == 0 {
		opts.Types = DefaultTypes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, blobs: blobs, authz: authz, opts: opts, log: opts.Logger}
}

// MaxBytes is the size limit of one asset.
func (s *Service) MaxBytes() int64 { return s.opts.MaxBytes }

// Types are the accepted content types.
func (s *Service) Types() []string { return slices.Clone(s.opts.Types) }

// BaseURL is the public URL prefix of keys (ends in "/").
func (s *Service) BaseURL() string { return s.opts.PublicBaseURL }

// URL is the public URL of a key.
func (s *Service) URL(key string) string { return s.opts.PublicBaseURL + key }

// Blobs is the store holding the bytes.
func (s *Service) Blobs() Blobs { return s.blobs }

// Point is a focal point in relative coordinates (0..1 from the left and
// the top): the part of an image that a crop keeps.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Asset is a stored media asset.
type Asset struct {
	bun.BaseModel `bun:"table:media"`
	Key           string    `bun:"key,pk" json:"key"`
	URL           string    `bun:"-" json:"url"`
	SHA256        string    `bun:"sha256" json:"sha256"`
	Filename      string    `bun:"filename" json:"filename"`
	ContentType   string    `bun:"content_type" json:"content_type"`
	Size          int64     `bun:"size" json:"size"`
	Width         int       `bun:"width" json:"width,omitempty"`
	Height        int       `bun:"height" json:"height,omitempty"`
	FocalX        *float64  `bun:"focal_x" json:"-"`
	FocalY        *float64  `bun:"focal_y" json:"-"`
	Focal         *Point    `bun:"-" json:"focal_point"`
	Title         string    `bun:"title" json:"title"`
	Alt           string    `bun:"alt" json:"alt"`
	CreatedBy     string    `bun:"created_by" json:"created_by"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`

	// Set when the asset is listed as an entry's attachment.
	EntryID    string `bun:"-" json:"entry_id,omitempty"`
	Role       string `bun:"-" json:"role,omitempty"`
	SourceHash string `bun:"-" json:"source_hash,omitempty"`
}

func (s *Service) finish(a *Asset) *Asset {
	a.URL = s.URL(a.Key)
	a.Focal = nil
	if a.FocalX != nil && a.FocalY != nil {
		a.Focal = &Point{X: *a.FocalX, Y: *a.FocalY}
	}
	return a
}

// IsImage reports whether the asset is an image the service can render.
func (a *Asset) IsImage() bool { return a.Width > 0 && a.Height > 0 }

// Upload is a file to store.
type Upload struct {
	Filename string
	// ContentType is what the client claimed; the stored type is detected
	// from the bytes, and a claim that contradicts it is refused.
	ContentType string
	Data        []byte
	Title, Alt  string
}

// Put stores an upload (or finds the same bytes stored before) and
// returns the asset. actor needs media.write, except a plugin, which the
// plugin host has already checked for its media:write scope.
func (s *Service) Put(ctx context.Context, actor auth.Principal, in Upload) (*Asset, error) {
	if err := s.require(ctx, actor, auth.ActMediaWrite); err != nil {
		return nil, err
	}
	var diags contenttypes.Diagnostics
	name := cleanFilename(in.Filename)
	if name == "" {
		diags.AppendError("filename", contenttypes.CodeRequired, "a file name is required")
	}
	if len(in.Data) == 0 {
		diags.AppendError("file", contenttypes.CodeRequired, "the file is empty")
	}
	if int64(len(in.Data)) > s.opts.MaxBytes {
		return nil, apperr.New(apperr.TooLarge, "the file is %d bytes; the limit is %d", len(in.Data), s.opts.MaxBytes)
	}
	if utf8.RuneCountInString(in.Title) > 500 {
		diags.AppendError("title", contenttypes.CodeTooLong, "at most 500 characters")
	}
	if utf8.RuneCountInString(in.Alt) > 1000 {
		diags.AppendError("alt", contenttypes.CodeTooLong, "at most 1000 characters")
	}
	if diags.HasError() {
		return nil, apperr.Validation("the upload is invalid", diags)
	}
	mt := mimetype.Detect(in.Data)
	ctype := baseType(mt.String())
	if !s.allowed(ctype) {
		diags.AppendErrorf("file", "unsupported_type", "files of type %s are not accepted (accepted: %s)", ctype, strings.Join(s.opts.Types, ", "))
		return nil, apperr.Validation("the upload is invalid", diags)
	}
	if claimed := baseType(in.ContentType); claimed != "" && claimed != "application/octet-stream" && claimed != ctype && !mt.Is(claimed) {
		diags.AppendErrorf("file", "type_mismatch", "the file was sent as %s but its content is %s", claimed, ctype)
		return nil, apperr.Validation("the upload is invalid", diags)
	}
	sum := sha256.Sum256(in.Data)
	hexSum := hex.EncodeToString(sum[:])
	a := &Asset{Key: hexSum + extension(ctype, mt.Extension()), SHA256: hexSum, Filename: name, ContentType: ctype,
		Size: int64(len(in.Data)), Title: in.Title, Alt: in.Alt, CreatedBy: actor.ID, CreatedAt: s.now()}
	if strings.HasPrefix(ctype, "image/") {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(in.Data))
		if err != nil {
			diags.AppendErrorf("file", "invalid_image", "the image cannot be read: %v", err)
			return nil, apperr.Validation("the upload is invalid", diags)
		}
		if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
			diags.AppendErrorf("file", "too_large", "the image is %d×%d pixels; the limit is %d megapixels", cfg.Width, cfg.Height, maxPixels/1_000_000)
			return nil, apperr.Validation("the upload is invalid", diags)
		}
		// Decode it whole: a truncated or corrupt image is refused now,
		// not when a rendition is first asked for.
		if _, _, err := image.Decode(bytes.NewReader(in.Data)); err != nil {
			diags.AppendErrorf("file", "invalid_image", "the image cannot be read: %v", err)
			return nil, apperr.Validation("the upload is invalid", diags)
		}
		a.Width, a.Height = cfg.Width, cfg.Height
	}
	// The bytes first, then the row: a row never points at missing bytes.
	ok, err := s.blobs.Exists(ctx, a.Key)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Unavailable, "the media store is unavailable")
	}
	if !ok {
		if err := s.blobs.Put(ctx, a.Key, in.Data, ctype); err != nil {
			return nil, apperr.Wrap(err, apperr.Unavailable, "the media store is unavailable")
		}
	}
	if _, err := s.db.NewInsert().Model(a).On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("error recording media %s: %w", a.Key, err)
	}
	return s.Get(ctx, a.Key)
}

// Get returns the asset with key.
func (s *Service) Get(ctx context.Context, key string) (*Asset, error) {
	a := new(Asset)
	err := s.db.NewSelect().Model(a).Where("key = ?", key).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "media %q not found", key)
	}
	if err != nil {
		return nil, fmt.Errorf("error reading media %s: %w", key, err)
	}
	return s.finish(a), nil
}

// ListParams page through assets, newest first.
type ListParams struct {
	Limit  int    // 1..200, default 50
	Cursor string // the NextCursor of the previous page
	// Type keeps assets whose content type starts with it ("image/").
	Type string
}

// Page is one page of assets.
type Page struct {
	Items      []*Asset `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// List lists assets, newest first. actor needs media.read.
func (s *Service) List(ctx context.Context, actor auth.Principal, p ListParams) (*Page, error) {
	if err := s.require(ctx, actor, auth.ActMediaRead); err != nil {
		return nil, err
	}
	if p.Limit == 0 {
		p.Limit = 50
	}
	if p.Limit < 1 || p.Limit > 200 {
		var d contenttypes.Diagnostics
		d.AppendError("limit", "out_of_range", "limit must be between 1 and 200")
		return nil, apperr.Validation("invalid list parameters", d)
	}
	q := s.db.NewSelect().Model((*Asset)(nil)).OrderExpr("created_at DESC, key DESC").Limit(int64(p.Limit + 1))
	if p.Type != "" {
		q = q.Where("content_type LIKE ?", strings.ReplaceAll(p.Type, "%", "")+"%")
	}
	if p.Cursor != "" {
		t, key, err := decodeCursor(p.Cursor)
		if err != nil {
			var d contenttypes.Diagnostics
			d.AppendError("cursor", "invalid", "the cursor is not one this API returned")
			return nil, apperr.Validation("invalid list parameters", d)
		}
		q = q.Where("(created_at < ?) OR (created_at = ? AND key < ?)", t, t, key)
	}
	var items []*Asset
	if err := q.Scan(ctx, &items); err != nil {
		return nil, fmt.Errorf("error listing media: %w", err)
	}
	page := &Page{Items: items}
	if len(items) > p.Limit {
		page.Items = items[:p.Limit]
		last := page.Items[len(page.Items)-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.Key)
	}
	for _, a := range page.Items {
		s.finish(a)
	}
	if page.Items == nil {
		page.Items = []*Asset{}
	}
	return page, nil
}

// Patch changes an asset's editorial metadata; nil fields are kept.
type Patch struct {
	Title *string `json:"title"`
	Alt   *string `json:"alt"`
	// Focal sets the focal point; ClearFocal removes it.
	Focal      *Point `json:"focal_point"`
	ClearFocal bool   `json:"-"`
}

// Update changes an asset's title, alt text or focal point. actor needs
// media.write.
func (s *Service) Update(ctx context.Context, actor auth.Principal, key string, p Patch) (*Asset, error) {
	if err := s.require(ctx, actor, auth.ActMediaWrite); err != nil {
		return nil, err
	}
	a, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	var diags contenttypes.Diagnostics
	q := s.db.NewUpdate().Model((*Asset)(nil)).Where("key = ?", key)
	n := 0
	if p.Title != nil {
		if utf8.RuneCountInString(*p.Title) > 500 {
			diags.AppendError("title", contenttypes.CodeTooLong, "at most 500 characters")
		}
		q, n = q.Set("title = ?", *p.Title), n+1
	}
	if p.Alt != nil {
		if utf8.RuneCountInString(*p.Alt) > 1000 {
			diags.AppendError("alt", contenttypes.CodeTooLong, "at most 1000 characters")
		}
		q, n = q.Set("alt = ?", *p.Alt), n+1
	}
	switch {
	case p.ClearFocal:
		q, n = q.Set("focal_x = NULL").Set("focal_y = NULL"), n+1
	case p.Focal != nil:
		if !a.IsImage() {
			diags.AppendError("focal_point", "not_an_image", "only images have a focal point")
		}
		if p.Focal.X < 0 || p.Focal.X > 1 {
			diags.AppendError("focal_point.x", "out_of_range", "x must be between 0 and 1")
		}
		if p.Focal.Y < 0 || p.Focal.Y > 1 {
			diags.AppendError("focal_point.y", "out_of_range", "y must be between 0 and 1")
		}
		q, n = q.Set("focal_x = ?", p.Focal.X).Set("focal_y = ?", p.Focal.Y), n+1
	}
	if diags.HasError() {
		return nil, apperr.Validation("the change is invalid", diags)
	}
	if n == 0 {
		return a, nil
	}
	if _, err := q.Exec(ctx); err != nil {
		return nil, fmt.Errorf("error updating media %s: %w", key, err)
	}
	return s.Get(ctx, key)
}

// Attachment is media attached to an entry under a role.
type Attachment struct {
	bun.BaseModel `bun:"table:entry_media"`
	EntryID       string    `bun:"entry_id,pk"`
	Role          string    `bun:"role,pk"`
	MediaKey      string    `bun:"media_key"`
	SourceHash    string    `bun:"source_hash"`
	CreatedBy     string    `bun:"created_by"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// ValidRole reports whether r may name an attachment: 1 to 63 lowercase
// letters, digits, '_' or '-'.
func ValidRole(r string) bool {
	if r == "" || len(r) > 63 {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Attach stores an upload and attaches it to an entry under role,
// replacing the role's previous attachment. Attachments are not
// revisioned: attaching creates no revision and publishes nothing. The
// entry's cached responses are invalidated.
func (s *Service) Attach(ctx context.Context, actor auth.Principal, entryID, role, sourceHash string, in Upload) (*Asset, error) {
	if !ValidRole(role) {
		var d contenttypes.Diagnostics
		d.AppendErrorf("role", "invalid", "role %q must be 1 to 63 lowercase letters, digits, '_' or '-'", role)
		return nil, apperr.Validation("the attachment is invalid", d)
	}
	var exists bool
	exists, err := s.db.NewSelect().Table("entries").Where("id = ?", entryID).Exists(ctx)
	if err != nil {
		return nil, fmt.Errorf("error reading entry %s: %w", entryID, err)
	}
	if !exists {
		return nil, apperr.New(apperr.NotFound, "entry %q not found", entryID)
	}
	a, err := s.Put(ctx, actor, in)
	if err != nil {
		return nil, err
	}
	att := &Attachment{EntryID: entryID, Role: role, MediaKey: a.Key, SourceHash: sourceHash, CreatedBy: actor.ID, UpdatedAt: s.now()}
	if _, err := s.db.NewInsert().Model(att).
		On("CONFLICT (entry_id, role) DO UPDATE").
		Set("media_key = EXCLUDED.media_key, source_hash = EXCLUDED.source_hash, created_by = EXCLUDED.created_by, updated_at = EXCLUDED.updated_at").
		Exec(ctx); err != nil {
		return nil, fmt.Errorf("error attaching media to %s: %w", entryID, err)
	}
	if s.opts.Invalidator != nil {
		if err := s.opts.Invalidator.InvalidateTags(ctx, []string{entryID}); err != nil {
			// The attachment is stored; cached responses expire by TTL.
			s.log.Warn("media: could not invalidate the entry's cached responses", "entry", entryID, "err", err)
		}
	}
	a.EntryID, a.Role, a.SourceHash = entryID, role, sourceHash
	return a, nil
}

// EntryMedia returns the media attached to an entry (role "" for every
// role), by role.
func (s *Service) EntryMedia(ctx context.Context, entryID, role string) ([]*Asset, error) {
	var atts []Attachment
	q := s.db.NewSelect().Model(&atts).Where("entry_id = ?", entryID).Order("role")
	if role != "" {
		q = q.Where("role = ?", role)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("error reading the media of %s: %w", entryID, err)
	}
	out := make([]*Asset, 0, len(atts))
	for _, at := range atts {
		a, err := s.Get(ctx, at.MediaKey)
		if err != nil {
			return nil, err
		}
		a.EntryID, a.Role, a.SourceHash = at.EntryID, at.Role, at.SourceHash
		out = append(out, a)
	}
	return out, nil
}

// now is the time to record, at the databases' (microsecond) precision.
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) require(ctx context.Context, actor auth.Principal, act auth.Action) error {
	if actor.Kind == auth.KindPlugin || actor.Kind == auth.KindSystem || s.authz == nil {
		return nil
	}
	return s.authz.Require(ctx, actor, act, "")
}

func (s *Service) allowed(ctype string) bool { return slices.Contains(s.opts.Types, ctype) }

// baseType drops parameters: "text/plain; charset=utf-8" → "text/plain".
func baseType(t string) string {
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return strings.ToLower(strings.TrimSpace(t))
}

// extension is the key's extension for a content type.
func extension(ctype, detected string) string {
	switch ctype {
	case "image/jpeg":
		return ".jpg"
	case "audio/mpeg":
		return ".mp3"
	case "audio/mp4":
		return ".m4a"
	case "text/plain":
		return ".txt"
	}
	return detected
}

// cleanFilename keeps the base name of a client's file name, without
// control characters, at most 255 bytes.
func cleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return strings.TrimSpace(name)
}

func encodeCursor(t time.Time, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + key))
}

func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, key, ok := strings.Cut(string(b), "|")
	if !ok || key == "" {
		return time.Time{}, "", errors.New("malformed cursor")
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	return t, key, err
}

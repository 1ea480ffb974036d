package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/media"
)

// mediaPatch is the body of PATCH /media/:key. focal_point null removes
// the focal point; a missing member keeps it.
type mediaPatch struct {
	Title      *string         `json:"title,omitempty"`
	Alt        *string         `json:"alt,omitempty"`
	FocalPoint json.RawMessage `json:"focal_point,omitempty" swaggertype:"object"`
}

func (s *Server) bindAdminMedia(r fiber.Router) {
	r.Post("/media", s.mediaUpload)
	r.Get("/media", s.mediaList)
	r.Get("/media/:key", s.mediaGet)
	r.Patch("/media/:key", s.mediaUpdate)
	r.Get("/entries/:id/media", s.entryMedia)
}

// mediaUpload stores a file sent as multipart/form-data (part "file", and
// optional "title" and "alt"), or as the raw body with its own
// Content-Type and ?filename=.
func (s *Server) mediaUpload(c fiber.Ctx) error {
	in := media.Upload{Title: c.Query("title"), Alt: c.Query("alt")}
	ct := c.Get(fiber.HeaderContentType)
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "multipart/form-data" {
		fh, err := c.FormFile("file")
		if err != nil {
			return apperr.Validation("the upload is invalid", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "file", Code: contenttypes.CodeRequired, Summary: "send the file in a form part named \"file\""}})
		}
		if fh.Size > s.Media.MaxBytes() {
			return apperr.New(apperr.TooLarge, "the file is %d bytes; the limit is %d", fh.Size, s.Media.MaxBytes())
		}
		f, err := fh.Open()
		if err != nil {
			return apperr.Wrap(err, apperr.Malformed, "the upload could not be read")
		}
		defer f.Close()
		if in.Data, err = io.ReadAll(io.LimitReader(f, s.Media.MaxBytes()+1)); err != nil {
			return apperr.Wrap(err, apperr.Malformed, "the upload could not be read")
		}
		in.Filename, in.ContentType = fh.Filename, fh.Header.Get("Content-Type")
		if v := c.FormValue("title"); v != "" {
			in.Title = v
		}
		if v := c.FormValue("alt"); v != "" {
			in.Alt = v
		}
	} else {
		in.Data, in.ContentType, in.Filename = bytes.Clone(c.Body()), ct, c.Query("filename")
		if in.Filename == "" {
			if _, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentDisposition)); err == nil {
				in.Filename = params["filename"]
			}
		}
	}
	a, err := s.Media.Put(c.Context(), principal(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/admin/v1/media/" + a.Key)
	return c.Status(fiber.StatusCreated).JSON(a)
}

func (s *Server) mediaList(c fiber.Ctx) error {
	p := media.ListParams{Cursor: c.Query("cursor"), Type: c.Query("type")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return apperr.Validation("invalid list parameters", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "limit", Code: contenttypes.CodeTypeMismatch, Summary: "limit must be a whole number"}})
		}
		p.Limit = n
	}
	page, err := s.Media.List(c.Context(), principal(c), p)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) mediaGet(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActMediaRead, ""); err != nil {
		return err
	}
	a, err := s.Media.Get(c.Context(), c.Params("key"))
	if err != nil {
		return err
	}
	return c.JSON(a)
}

func (s *Server) mediaUpdate(c fiber.Ctx) error {
	var body mediaPatch
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	p := media.Patch{Title: body.Title, Alt: body.Alt}
	switch fp := bytes.TrimSpace(body.FocalPoint); {
	case len(fp) == 0:
	case string(fp) == "null":
		p.ClearFocal = true
	default:
		var pt struct {
			X *float64 `json:"x"`
			Y *float64 `json:"y"`
		}
		dec := json.NewDecoder(bytes.NewReader(fp))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&pt); err != nil || pt.X == nil || pt.Y == nil {
			return apperr.Validation("the change is invalid", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "focal_point", Code: contenttypes.CodeTypeMismatch, Summary: "focal_point must be {\"x\": 0..1, \"y\": 0..1} or null"}})
		}
		p.Focal = &media.Point{X: *pt.X, Y: *pt.Y}
	}
	a, err := s.Media.Update(c.Context(), principal(c), c.Params("key"), p)
	if err != nil {
		return err
	}
	return c.JSON(a)
}

// entryMedia lists the media plugins attached to an entry (narration...).
func (s *Server) entryMedia(c fiber.Ctx) error {
	d, err := s.Entries.Get(c.Context(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	list, err := s.Media.EntryMedia(c.Context(), d.ID, c.Query("role"))
	if err != nil {
		return err
	}
	return c.JSON(itemsOf[*media.Asset]{Items: list})
}

// mediaFile serves stored bytes under /media/<key>: the embedded default
// (local disk), and a fallback for S3 without a CDN. Keys are
// content-addressed, so responses are immutable; byte ranges (audio
// players need them), If-None-Match and HEAD are handled by
// http.ServeContent.
func (s *Server) mediaFile() fiber.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/media/")
		rc, err := s.Media.Blobs().Open(r.Context(), key)
		if err != nil {
			status := http.StatusServiceUnavailable
			if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
				status = http.StatusNotFound
			} else {
				s.log.ErrorContext(r.Context(), "media: reading failed", "key", key, "err", err)
			}
			http.Error(w, http.StatusText(status), status)
			return
		}
		defer rc.Close()
		var content io.ReadSeeker
		if rs, ok := rc.(io.ReadSeeker); ok {
			content = rs
		} else {
			b, err := io.ReadAll(io.LimitReader(rc, s.Media.MaxBytes()+1))
			if err != nil {
				http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
				return
			}
			content = bytes.NewReader(b)
		}
		hd := w.Header()
		hd.Set("Content-Type", media.ContentTypeOf(key))
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
		hd.Set("ETag", `"`+strings.NewReplacer("/", "-", `"`, "").Replace(key)+`"`)
		hd.Set("X-Content-Type-Options", "nosniff")
		// Nothing served here may run script in the CMS's origin.
		hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		http.ServeContent(w, r, "", time.Time{}, content)
	})
	return adaptor.HTTPHandler(h)
}

// mediaRendition redirects to a rendition of an image (generated once):
// GET /api/v1/media/<key>/rendition?w=&h=&fit=contain|cover. Apps ask for
// the size they display; the redirect target is immutable.
func (s *Server) mediaRendition(c fiber.Ctx) error {
	sp := media.Spec{Fit: c.Query("fit")}
	var diags contenttypes.Diagnostics
	for _, p := range []struct {
		name string
		dst  *int
	}{{"w", &sp.Width}, {"h", &sp.Height}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				diags.AppendErrorf(p.name, contenttypes.CodeTypeMismatch, "%s must be a whole number of pixels", p.name)
				continue
			}
			*p.dst = n
		}
	}
	if diags.HasError() {
		return apperr.Validation("invalid rendition", diags)
	}
	r, err := s.Media.Rendition(c.Context(), c.Params("key"), sp)
	if err != nil {
		return err
	}
	// The focal point may move, which changes the rendition: cache the
	// answer for an hour, the target forever.
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	if c.Query("redirect") == "false" {
		return c.JSON(fiber.Map{"url": r.URL, "key": r.Key, "width": r.Width, "height": r.Height})
	}
	return c.Redirect().Status(fiber.StatusFound).To(r.URL)
}

package media

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/uptrace/bun"
	xdraw "golang.org/x/image/draw"
)

// MaxRenditionSide bounds a rendition's width and height.
const MaxRenditionSide = 4000

// Fit modes of a rendition.
const (
	// FitContain scales the image to fit inside Width×Height, keeping its
	// aspect ratio (one side may be shorter).
	FitContain = "contain"
	// FitCover fills Width×Height exactly, cropping around the focal point
	// (the centre when none is set).
	FitCover = "cover"
)

// Spec describes a rendition.
type Spec struct {
	Width, Height int    // 0: derived from the other and the aspect ratio (contain only)
	Fit           string // FitContain (default) or FitCover
}

// Check validates the spec; diagnostics name the query parameters (w, h,
// fit).
func (sp *Spec) Check() contenttypes.Diagnostics {
	var d contenttypes.Diagnostics
	if sp.Fit == "" {
		sp.Fit = FitContain
	}
	if sp.Fit != FitContain && sp.Fit != FitCover {
		d.AppendErrorf("fit", "invalid", "fit must be %s or %s", FitContain, FitCover)
	}
	if sp.Width < 0 || sp.Width > MaxRenditionSide {
		d.AppendErrorf("w", "out_of_range", "w must be between 1 and %d", MaxRenditionSide)
	}
	if sp.Height < 0 || sp.Height > MaxRenditionSide {
		d.AppendErrorf("h", "out_of_range", "h must be between 1 and %d", MaxRenditionSide)
	}
	if sp.Width == 0 && sp.Height == 0 {
		d.AppendError("w", contenttypes.CodeRequired, "give w, h or both")
	}
	if sp.Fit == FitCover && (sp.Width == 0 || sp.Height == 0) {
		d.AppendError("h", contenttypes.CodeRequired, "fit=cover needs both w and h")
	}
	return d
}

// Rendition is a generated variant of an image.
type Rendition struct {
	bun.BaseModel `bun:"table:media_renditions"`
	SourceKey     string    `bun:"source_key,pk" json:"source_key"`
	Spec          string    `bun:"spec,pk" json:"spec"`
	Key           string    `bun:"key" json:"key"`
	URL           string    `bun:"-" json:"url"`
	Width         int       `bun:"width" json:"width"`
	Height        int       `bun:"height" json:"height"`
	Size          int64     `bun:"size" json:"size"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
}

// Rendition returns the rendition of an image asset for spec, generating
// and storing it the first time. Later calls (on any instance) read the
// stored record; concurrent first calls in one process generate it once.
func (s *Service) Rendition(ctx context.Context, key string, sp Spec) (*Rendition, error) {
	d := sp.Check()
	if sizes := s.opts.RenditionSizes; len(sizes) > 0 {
		for _, side := range []struct {
			name string
			v    int
		}{{"w", sp.Width}, {"h", sp.Height}} {
			if side.v != 0 && !slices.Contains(sizes, side.v) {
				d.AppendErrorf(side.name, "unsupported_size", "%s must be one of %v", side.name, sizes)
			}
		}
	}
	if d.HasError() {
		return nil, apperr.Validation("invalid rendition", d)
	}
	a, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if !a.IsImage() {
		var d contenttypes.Diagnostics
		d.AppendErrorf("key", "not_an_image", "media %s is %s, not an image", key, a.ContentType)
		return nil, apperr.Validation("invalid rendition", d)
	}
	focal := Point{X: 0.5, Y: 0.5}
	if a.Focal != nil {
		focal = *a.Focal
	}
	spec := fmt.Sprintf("%dx%d-%s", sp.Width, sp.Height, sp.Fit)
	if sp.Fit == FitCover {
		spec += fmt.Sprintf("-%.3f-%.3f", focal.X, focal.Y)
	}
	if r, err := s.storedRendition(ctx, key, spec); err != nil || r != nil {
		return r, err
	}
	v, err, _ := s.group.Do(key+"|"+spec, func() (any, error) {
		if r, err := s.storedRendition(ctx, key, spec); err != nil || r != nil {
			return r, err
		}
		return s.render(ctx, a, sp, spec, focal)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Rendition), nil
}

func (s *Service) storedRendition(ctx context.Context, key, spec string) (*Rendition, error) {
	r := new(Rendition)
	err := s.db.NewSelect().Model(r).Where("source_key = ? AND spec = ?", key, spec).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error reading rendition %s/%s: %w", key, spec, err)
	}
	r.URL = s.URL(r.Key)
	return r, nil
}

func (s *Service) render(ctx context.Context, a *Asset, sp Spec, spec string, focal Point) (*Rendition, error) {
	rc, err := s.blobs.Open(ctx, a.Key)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Unavailable, "the media store is unavailable")
	}
	data, err := io.ReadAll(io.LimitReader(rc, s.opts.MaxBytes+1))
	rc.Close()
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Unavailable, "the media store is unavailable")
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", a.Key, err)
	}
	out := resize(src, sp, focal)
	var buf bytes.Buffer
	ext, ctype := ".jpg", "image/jpeg"
	if a.ContentType == "image/png" || a.ContentType == "image/gif" {
		// Keep transparency.
		ext, ctype = ".png", "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, out)
	} else {
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return nil, fmt.Errorf("encoding rendition of %s: %w", a.Key, err)
	}
	b := out.Bounds()
	r := &Rendition{SourceKey: a.Key, Spec: spec, Key: "renditions/" + a.SHA256 + "/" + spec + ext,
		Width: b.Dx(), Height: b.Dy(), Size: int64(buf.Len()), CreatedAt: s.now()}
	if err := s.blobs.Put(ctx, r.Key, buf.Bytes(), ctype); err != nil {
		return nil, apperr.Wrap(err, apperr.Unavailable, "the media store is unavailable")
	}
	if _, err := s.db.NewInsert().Model(r).On("CONFLICT (source_key, spec) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("error recording rendition %s: %w", r.Key, err)
	}
	r.URL = s.URL(r.Key)
	return r, nil
}

// resize scales (contain) or crops and scales (cover, around focal) src.
func resize(src image.Image, sp Spec, focal Point) image.Image {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	if sp.Fit == FitCover {
		// The largest crop of the target's aspect ratio, centred on the
		// focal point and clamped inside the image.
		tw, th := sp.Width, sp.Height
		cw, ch := sw, sw*th/tw
		if ch > sh {
			cw, ch = sh*tw/th, sh
		}
		cx := clamp(int(focal.X*float64(sw))-cw/2, 0, sw-cw)
		cy := clamp(int(focal.Y*float64(sh))-ch/2, 0, sh-ch)
		crop := image.Rect(sb.Min.X+cx, sb.Min.Y+cy, sb.Min.X+cx+cw, sb.Min.Y+cy+ch)
		dst := image.NewRGBA(image.Rect(0, 0, tw, th))
		xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, crop, draw.Src, nil)
		return dst
	}
	w, h := sp.Width, sp.Height
	switch {
	case w == 0:
		w = max(1, sw*h/sh)
	case h == 0:
		h = max(1, sh*w/sw)
	default:
		// Fit inside the box.
		if sw*h > sh*w {
			h = max(1, sh*w/sw)
		} else {
			w = max(1, sw*h/sh)
		}
	}
	if w >= sw && h >= sh {
		// Never upscale: the original size is the largest rendition.
		w, h = sw, sh
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, sb, draw.Src, nil)
	return dst
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// ContentTypeOf is the content type to serve a key with, from its
// extension (keys are content-addressed with the detected type's
// extension).
func ContentTypeOf(key string) string {
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		return "application/octet-stream"
	}
	switch strings.ToLower(key[i:]) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".mp3":
		return "audio/mpeg"
	case ".m4a":
		return "audio/mp4"
	case ".ogg", ".oga":
		return "audio/ogg"
	case ".wav":
		return "audio/wav"
	case ".mp4":
		return "video/mp4"
	case ".pdf":
		return "application/pdf"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

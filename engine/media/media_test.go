package media_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/media"
	"github.com/inklingcms/inkling/engine/media/localblobs"
	"github.com/inklingcms/inkling/engine/media/s3blobs"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var (
	admin    = auth.Principal{Kind: auth.KindToken, ID: "admin", Role: auth.RoleAdmin}
	editor   = auth.Principal{Kind: auth.KindToken, ID: "ed", Role: auth.RoleEditor}
	reviewer = auth.Principal{Kind: auth.KindToken, ID: "rev", Role: auth.RoleReviewer}
	plugin   = auth.Principal{Kind: auth.KindPlugin, ID: "plugin:elevenlabs", Role: auth.RoleEditor}
)

// pngImage is a w×h PNG whose left half is red and right half blue, so a
// crop shows which part of the image it kept.
func pngImage(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{R: 255, A: 255}
			if x >= w/2 {
				c = color.RGBA{B: 255, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegImage(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mp3 is a few MPEG-1 Layer III frames (sync word, 128 kbit/s, 44.1 kHz).
func mp3(payload string) []byte {
	var b []byte
	for i := 0; i < 4; i++ {
		frame := make([]byte, 417)
		copy(frame, []byte{0xFF, 0xFB, 0x90, 0x64})
		copy(frame[4:], payload)
		b = append(b, frame...)
	}
	return b
}

type backend struct {
	name  string
	db    func(t *testing.T) *store.DB
	blobs func(t *testing.T) media.Blobs
}

func backends() []backend {
	local := func(t *testing.T) media.Blobs {
		d, err := localblobs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	s3 := func(t *testing.T) media.Blobs {
		srv := testdb.S3(t)
		b, err := s3blobs.New(context.Background(), s3blobs.Config{Bucket: srv.Bucket, Region: srv.Region, Endpoint: srv.Endpoint,
			PathStyle: true, Prefix: "site/", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
		return b
	}
	return []backend{
		{"sqlite+local", func(t *testing.T) *store.DB { return testdb.SQLite(t) }, local},
		{"postgres+s3", func(t *testing.T) *store.DB { return testdb.Postgres(t) }, s3},
	}
}

type recorder struct {
	mu   sync.Mutex
	tags []string
}

func (r *recorder) InvalidateTags(_ context.Context, tags []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tags = append(r.tags, tags...)
	return nil
}

func TestMedia(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.db(t)
			blobs := be.blobs(t)
			inv := &recorder{}
			svc := media.New(db, blobs, auth.New(db, nil), media.Options{PublicBaseURL: "https://cdn.example.org/m", MaxBytes: 1 << 20, Invalidator: inv})

			photo := pngImage(t, 400, 200)
			uploads := []struct {
				name    string
				actor   auth.Principal
				in      media.Upload
				code    apperr.Code
				path    string // the diagnostic's path
				ctype   string
				w, h    int
				keyTail string
			}{
				{"png", editor, media.Upload{Filename: "C:\\photos\\cover.png", ContentType: "image/png", Data: photo, Alt: "A red and blue field"}, "", "", "image/png", 400, 200, ".png"},
				{"jpeg without a claimed type", admin, media.Upload{Filename: "x.jpeg", Data: jpegImage(t, 30, 20)}, "", "", "image/jpeg", 30, 20, ".jpg"},
				{"mp3", plugin, media.Upload{Filename: "reading.mp3", ContentType: "audio/mpeg", Data: mp3("a reading")}, "", "", "audio/mpeg", 0, 0, ".mp3"},
				{"reviewer may not upload", reviewer, media.Upload{Filename: "a.png", Data: photo}, apperr.Forbidden, "", "", 0, 0, ""},
				{"no file name", editor, media.Upload{Filename: "", Data: photo}, apperr.Invalid, "filename", "", 0, 0, ""},
				{"empty file", editor, media.Upload{Filename: "a.png"}, apperr.Invalid, "file", "", 0, 0, ""},
				{"svg refused", editor, media.Upload{Filename: "a.svg", Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`)}, apperr.Invalid, "file", "", 0, 0, ""},
				{"html refused", editor, media.Upload{Filename: "a.html", Data: []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")}, apperr.Invalid, "file", "", 0, 0, ""},
				{"claimed type contradicts content", editor, media.Upload{Filename: "a.jpg", ContentType: "image/jpeg", Data: photo}, apperr.Invalid, "file", "", 0, 0, ""},
				{"too large", editor, media.Upload{Filename: "big.txt", Data: bytes.Repeat([]byte("a"), 1<<20+1)}, apperr.TooLarge, "", "", 0, 0, ""},
				{"truncated image", editor, media.Upload{Filename: "bad.png", Data: photo[:40]}, apperr.Invalid, "file", "", 0, 0, ""},
			}
			keys := map[string]string{}
			for _, tc := range uploads {
				a, err := svc.Put(ctx, tc.actor, tc.in)
				if tc.code != "" {
					if apperr.CodeOf(err) != tc.code {
						t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
						continue
					}
					if e, _ := apperr.As(err); tc.path != "" && (e == nil || len(e.Diagnostics.At(tc.path)) == 0) {
						t.Errorf("%s: no diagnostic at %q: %v", tc.name, tc.path, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if a.ContentType != tc.ctype || a.Width != tc.w || a.Height != tc.h || !strings.HasSuffix(a.Key, tc.keyTail) ||
					a.Key != a.SHA256+tc.keyTail || a.URL != "https://cdn.example.org/m/"+a.Key || a.Size != int64(len(tc.in.Data)) {
					t.Errorf("%s: %+v", tc.name, a)
				}
				keys[tc.name] = a.Key
				rc, err := blobs.Open(ctx, a.Key)
				if err != nil {
					t.Fatalf("%s: stored bytes: %v", tc.name, err)
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(got, tc.in.Data) {
					t.Errorf("%s: stored %d bytes, uploaded %d", tc.name, len(got), len(tc.in.Data))
				}
			}
			if a, _ := svc.Get(ctx, keys["png"]); a == nil || a.Filename != "cover.png" || a.Alt != "A red and blue field" || a.CreatedBy != "ed" {
				t.Errorf("png metadata: %+v", a)
			}
			// The same bytes again: the same key, one row.
			again, err := svc.Put(ctx, admin, media.Upload{Filename: "copy.png", Data: photo})
			if err != nil || again.Key != keys["png"] || again.Filename != "cover.png" {
				t.Errorf("re-upload: %+v %v", again, err)
			}

			// Listing pages newest first, and reviewers may read.
			var listed []string
			cursor := ""
			for {
				page, err := svc.List(ctx, reviewer, media.ListParams{Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range page.Items {
					listed = append(listed, a.Key)
				}
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			if len(listed) != 3 {
				t.Errorf("listed %v", listed)
			}
			if _, err := svc.List(ctx, reviewer, media.ListParams{Cursor: "garbage"}); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("bad cursor: %v", err)
			}
			if page, err := svc.List(ctx, editor, media.ListParams{Type: "audio/"}); err != nil || len(page.Items) != 1 || page.Items[0].Key != keys["mp3"] {
				t.Errorf("type filter: %+v %v", page, err)
			}

			// Focal point and alt text.
			patches := []struct {
				name  string
				key   string
				patch media.Patch
				path  string
			}{
				{"focal out of range", keys["png"], media.Patch{Focal: &media.Point{X: 1.5, Y: 0.5}}, "focal_point.x"},
				{"focal on audio", keys["mp3"], media.Patch{Focal: &media.Point{X: 0.5, Y: 0.5}}, "focal_point"},
				{"alt too long", keys["png"], media.Patch{Alt: ptr(strings.Repeat("a", 1001))}, "alt"},
			}
			for _, tc := range patches {
				_, err := svc.Update(ctx, editor, tc.key, tc.patch)
				if e, _ := apperr.As(err); e == nil || e.Code != apperr.Invalid || len(e.Diagnostics.At(tc.path)) == 0 {
					t.Errorf("%s: %v", tc.name, err)
				}
			}
			if _, err := svc.Update(ctx, editor, "nope.png", media.Patch{Alt: ptr("x")}); apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("update of a missing key: %v", err)
			}
			a, err := svc.Update(ctx, editor, keys["png"], media.Patch{Focal: &media.Point{X: 0.9, Y: 0.5}, Title: ptr("Field")})
			if err != nil || a.Focal == nil || a.Focal.X != 0.9 || a.Title != "Field" {
				t.Fatalf("update: %+v %v", a, err)
			}

			// Renditions.
			renditions := []struct {
				name   string
				spec   media.Spec
				w, h   int
				right  bool // the crop kept the right (blue) half
				bad    string
				notImg bool
			}{
				{"contain within a box", media.Spec{Width: 100, Height: 100}, 100, 50, false, "", false},
				{"contain by width", media.Spec{Width: 200}, 200, 100, false, "", false},
				{"never upscale", media.Spec{Width: 1000, Height: 1000}, 400, 200, false, "", false},
				{"cover around the focal point", media.Spec{Width: 50, Height: 50, Fit: media.FitCover}, 50, 50, true, "", false},
				{"cover needs both sides", media.Spec{Width: 50, Fit: media.FitCover}, 0, 0, false, "h", false},
				{"bad fit", media.Spec{Width: 50, Fit: "stretch"}, 0, 0, false, "fit", false},
				{"too wide", media.Spec{Width: media.MaxRenditionSide + 1}, 0, 0, false, "w", false},
				{"no size", media.Spec{}, 0, 0, false, "w", false},
			}
			for _, tc := range renditions {
				r, err := svc.Rendition(ctx, keys["png"], tc.spec)
				if tc.bad != "" {
					if e, _ := apperr.As(err); e == nil || len(e.Diagnostics.At(tc.bad)) == 0 {
						t.Errorf("%s: %v", tc.name, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if r.Width != tc.w || r.Height != tc.h || !strings.HasPrefix(r.URL, "https://cdn.example.org/m/renditions/") {
					t.Errorf("%s: %+v", tc.name, r)
				}
				rc, err := blobs.Open(ctx, r.Key)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				img, _, err := image.Decode(rc)
				rc.Close()
				if err != nil || img.Bounds().Dx() != tc.w || img.Bounds().Dy() != tc.h {
					t.Fatalf("%s: stored rendition: %v %v", tc.name, img.Bounds(), err)
				}
				if tc.right {
					if r, _, b, _ := img.At(tc.w/2, tc.h/2).RGBA(); b < 0xF000 || r > 0x1000 {
						t.Errorf("%s: the crop did not keep the focal (blue) side", tc.name)
					}
				}
				// Generated once: the second call returns the stored one.
				again, err := svc.Rendition(ctx, keys["png"], tc.spec)
				if err != nil || again.Key != r.Key || !again.CreatedAt.Equal(r.CreatedAt) {
					t.Errorf("%s: second call %+v %v", tc.name, again, err)
				}
			}
			if _, err := svc.Rendition(ctx, keys["mp3"], media.Spec{Width: 10}); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("rendition of audio: %v", err)
			}
			// An allow-list of sizes bounds what the public endpoint can
			// make the server generate.
			limited := media.New(db, blobs, nil, media.Options{RenditionSizes: []int{64, 128}})
			for _, tc := range []struct {
				sp   media.Spec
				path string
			}{{media.Spec{Width: 64}, ""}, {media.Spec{Width: 64, Height: 128, Fit: media.FitCover}, ""}, {media.Spec{Width: 65}, "w"}, {media.Spec{Width: 64, Height: 100, Fit: media.FitCover}, "h"}} {
				_, err := limited.Rendition(ctx, keys["png"], tc.sp)
				e, _ := apperr.As(err)
				if (tc.path == "") != (err == nil) || (tc.path != "" && (e == nil || len(e.Diagnostics.At(tc.path)) == 0)) {
					t.Errorf("allow-list, %+v: %v", tc.sp, err)
				}
			}

			// Attachments.
			types := registry.New(db)
			if _, err := types.Register(ctx, contenttypes.ContentType{Key: "note", Label: "Note"}, nil); err != nil {
				t.Fatal(err)
			}
			entry, err := entries.New(db, types, auth.New(db, nil), nil).Create(ctx, admin, entries.CreateInput{Type: "note", Title: "Hello"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Attach(ctx, plugin, entry.ID, "Audio!", "h", media.Upload{Filename: "a.mp3", Data: mp3("x")}); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("bad role: %v", err)
			}
			if _, err := svc.Attach(ctx, plugin, "missing", "audio", "h", media.Upload{Filename: "a.mp3", Data: mp3("x")}); apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("missing entry: %v", err)
			}
			for i, text := range []string{"first reading", "second reading"} {
				a, err := svc.Attach(ctx, plugin, entry.ID, "audio", text, media.Upload{Filename: "a.mp3", ContentType: "audio/mpeg", Data: mp3(text)})
				if err != nil || a.Role != "audio" || a.SourceHash != text {
					t.Fatalf("attach %d: %+v %v", i, a, err)
				}
			}
			got, err := svc.EntryMedia(ctx, entry.ID, "audio")
			if err != nil || len(got) != 1 || got[0].SourceHash != "second reading" || got[0].EntryID != entry.ID {
				t.Fatalf("entry media: %+v %v", got, err)
			}
			if none, err := svc.EntryMedia(ctx, entry.ID, "transcript"); err != nil || len(none) != 0 {
				t.Errorf("other role: %+v %v", none, err)
			}
			inv.mu.Lock()
			if len(inv.tags) != 2 || inv.tags[0] != entry.ID {
				t.Errorf("invalidated %v", inv.tags)
			}
			inv.mu.Unlock()
		})
	}
}

func TestContentTypeOf(t *testing.T) {
	for key, want := range map[string]string{
		"ab.jpg": "image/jpeg", "ab.PNG": "image/png", "ab.mp3": "audio/mpeg", "renditions/ab/10x10-contain.jpg": "image/jpeg",
		"ab": "application/octet-stream", "ab.exe": "application/octet-stream", "ab.txt": "text/plain; charset=utf-8",
	} {
		if got := media.ContentTypeOf(key); got != want {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

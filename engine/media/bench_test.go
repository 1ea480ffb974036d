package media_test

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/media"
	"github.com/inklingcms/inkling/engine/media/localblobs"
	"github.com/inklingcms/inkling/engine/testdb"
)

// BenchmarkRendition: asking for a rendition that exists (a row lookup)
// against generating it (decode, scale, encode, store) from a 1600×1000
// PNG, in one run.
func BenchmarkRendition(b *testing.B) {
	ctx := context.Background()
	db := testdb.SQLite(b)
	blobs, err := localblobs.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	svc := media.New(db, blobs, nil, media.Options{})
	a, err := svc.Put(ctx, auth.System, media.Upload{Filename: "big.png", Data: pngImage(b, 1600, 1000)})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("stored", func(b *testing.B) {
		sp := media.Spec{Width: 400, Height: 300, Fit: media.FitCover}
		if _, err := svc.Rendition(ctx, a.Key, sp); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := svc.Rendition(ctx, a.Key, sp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("generate", func(b *testing.B) {
		w := 0
		for b.Loop() {
			w++ // a new size each time: always generated
			if _, err := svc.Rendition(ctx, a.Key, media.Spec{Width: 100 + w%3000, Height: 300, Fit: media.FitCover}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPut: storing new 256 KiB files (hash, detect, write, record)
// against uploading bytes already stored (hash, detect, find).
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	db := testdb.SQLite(b)
	blobs, err := localblobs.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	svc := media.New(db, blobs, nil, media.Options{})
	data := make([]byte, 256<<10)
	copy(data, "%PDF-1.4\n")
	b.Run("new", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		n := uint64(0)
		for b.Loop() {
			n++
			binary.LittleEndian.PutUint64(data[16:], n)
			if _, err := svc.Put(ctx, auth.System, media.Upload{Filename: "doc.pdf", Data: data}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := svc.Put(ctx, auth.System, media.Upload{Filename: "doc.pdf", Data: data}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

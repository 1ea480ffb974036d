// Package localblobs stores media bytes in a directory on local disk: the
// embedded default, served by the host under /media/.
package localblobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/inklingcms/inkling/engine/apperr"
)

// Dir stores each key as a file below a root directory.
type Dir struct{ root string }

// New returns a store rooted at dir, creating it when missing.
func New(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("localblobs: creating %s: %w", dir, err)
	}
	return &Dir{root: dir}, nil
}

// Name describes the store for logs.
func (d *Dir) Name() string { return "local:" + d.root }

func (d *Dir) path(key string) (string, error) {
	if !fs.ValidPath(key) || key == "." {
		return "", apperr.New(apperr.Invalid, "invalid media key %q", key)
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put writes data under key atomically (a temporary file renamed into
// place), so a reader never sees a partial object.
func (d *Dir) Put(_ context.Context, key string, data []byte, _ string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("localblobs: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return fmt.Errorf("localblobs: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("localblobs: writing %s: %w", key, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("localblobs: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("localblobs: storing %s: %w", key, err)
	}
	return nil
}

// Open opens the object under key; a missing one is apperr.NotFound.
func (d *Dir) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, apperr.New(apperr.NotFound, "media %q not found", key)
	}
	if err != nil {
		return nil, fmt.Errorf("localblobs: %w", err)
	}
	return f, nil
}

// Exists reports whether an object is stored under key.
func (d *Dir) Exists(_ context.Context, key string) (bool, error) {
	p, err := d.path(key)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("localblobs: %w", err)
	}
	return true, nil
}

package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/encoding/protojson"
)

// Kind says where a plugin comes from.
type Kind string

const (
	KindBuiltin  Kind = "builtin"  // compiled into the inkling binary
	KindExternal Kind = "external" // an executable in the plugins directory
)

// Plugin statuses.
const (
	StatusStarting         = "starting"          // being started
	StatusRunning          = "running"           // serving calls
	StatusRestarting       = "restarting"        // its process died; restarting with backoff
	StatusFailed           = "failed"            // could not start (see LastError); not retried
	StatusDisabled         = "disabled"          // not enabled by an admin
	StatusChecksumMismatch = "checksum_mismatch" // the executable differs from the pinned sha256
	StatusStopped          = "stopped"           // enabled, but the host is not running (before Start, after Stop)
	StatusMissing          = "missing"           // in the catalog, but its executable (or built-in) is gone
)

// ExternalPrefix starts the file name of every external plugin.
const ExternalPrefix = "inkling-plugin-"

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidName reports whether s can name a plugin.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// row is a row of the plugins table.
type row struct {
	bun.BaseModel `bun:"table:plugins"`

	Name            string          `bun:"name,pk"`
	Kind            Kind            `bun:"kind"`
	Path            string          `bun:"path"`
	SHA256          string          `bun:"sha256"`
	Enabled         bool            `bun:"enabled"`
	Version         string          `bun:"version"`
	ProtocolVersion int             `bun:"protocol_version"`
	ContentTypes    json.RawMessage `bun:"content_types"`
	Status          string          `bun:"status"`
	LastError       string          `bun:"last_error"`
	Settings        json.RawMessage `bun:"settings"`
	RequestedScopes json.RawMessage `bun:"requested_scopes"`
	GrantedScopes   json.RawMessage `bun:"granted_scopes"` // NULL: not granted yet (granted as requested at the next start)
	RevokedScopes   json.RawMessage `bun:"revoked_scopes"`
	Metadata        json.RawMessage `bun:"metadata"` // last good GetMetadata answer (protojson); NULL: never started
	EnabledAt       *time.Time      `bun:"enabled_at"`
	CreatedAt       time.Time       `bun:"created_at"`
	UpdatedAt       time.Time       `bun:"updated_at"`
}

// record is the decoded catalog state of a plugin, kept in memory.
type record struct {
	Kind            Kind
	Path            string
	SHA256          string
	Enabled         bool
	Version         string
	ProtocolVersion int
	ContentTypes    []string
	Settings        map[string]string
	RequestedScopes []string
	GrantedScopes   []string // nil: not granted yet
	Granted         bool     // GrantedScopes is set
	RevokedScopes   []string
	Meta            *pluginv1.GetMetadataResponse // last good metadata; nil: never started
	EnabledAt       *time.Time
	UpdatedAt       time.Time
}

func (r *row) record() (record, error) {
	rec := record{Kind: r.Kind, Path: r.Path, SHA256: r.SHA256, Enabled: r.Enabled, Version: r.Version,
		ProtocolVersion: r.ProtocolVersion, EnabledAt: r.EnabledAt, UpdatedAt: r.UpdatedAt}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  any
	}{
		{"content_types", r.ContentTypes, &rec.ContentTypes},
		{"settings", r.Settings, &rec.Settings},
		{"requested_scopes", r.RequestedScopes, &rec.RequestedScopes},
		{"revoked_scopes", r.RevokedScopes, &rec.RevokedScopes},
	} {
		if len(f.raw) == 0 {
			continue
		}
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return rec, fmt.Errorf("error decoding plugins.%s of %s: %w", f.name, r.Name, err)
		}
	}
	if len(r.GrantedScopes) > 0 && string(r.GrantedScopes) != "null" {
		if err := json.Unmarshal(r.GrantedScopes, &rec.GrantedScopes); err != nil {
			return rec, fmt.Errorf("error decoding plugins.granted_scopes of %s: %w", r.Name, err)
		}
		rec.Granted = true
	}
	if len(r.Metadata) > 0 && string(r.Metadata) != "null" {
		meta := new(pluginv1.GetMetadataResponse)
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(r.Metadata, meta); err != nil {
			return rec, fmt.Errorf("error decoding plugins.metadata of %s: %w", r.Name, err)
		}
		rec.Meta = meta
	}
	if rec.Settings == nil {
		rec.Settings = map[string]string{}
	}
	return rec, nil
}

// mustJSON encodes v; v is always a map or slice of strings.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// jsonList encodes a list, never as null.
func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	return mustJSON(v)
}

// catalog reads and writes the plugins table.
type catalog struct {
	db  bun.IDB
	now func() time.Time
}

func (c *catalog) load(ctx context.Context) (map[string]*row, error) {
	var rows []row
	if err := c.db.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, fmt.Errorf("error loading the plugin catalog: %w", err)
	}
	out := make(map[string]*row, len(rows))
	for i := range rows {
		out[rows[i].Name] = &rows[i]
	}
	return out, nil
}

// insert adds a plugin unless another server instance was faster.
func (c *catalog) insert(ctx context.Context, r *row) error {
	now := c.now().UTC()
	r.CreatedAt, r.UpdatedAt = now, now
	if r.ContentTypes == nil {
		r.ContentTypes = json.RawMessage(`[]`)
	}
	if r.Settings == nil {
		r.Settings = json.RawMessage(`{}`)
	}
	if r.RequestedScopes == nil {
		r.RequestedScopes = json.RawMessage(`[]`)
	}
	if r.RevokedScopes == nil {
		r.RevokedScopes = json.RawMessage(`[]`)
	}
	if _, err := c.db.NewInsert().Model(r).On("CONFLICT (name) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("error adding plugin %s to the catalog: %w", r.Name, err)
	}
	return nil
}

// update sets columns of one plugin's row (plus updated_at).
func (c *catalog) update(ctx context.Context, name string, set map[string]any) error {
	q := c.db.NewUpdate().Model((*row)(nil)).Where("name = ?", name).Set("updated_at = ?", c.now().UTC())
	cols := make([]string, 0, len(set))
	for k := range set {
		cols = append(cols, k)
	}
	sort.Strings(cols)
	for _, k := range cols {
		q = q.Set(k+" = ?", set[k])
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("error updating plugin %s: %w", name, err)
	}
	return nil
}

// discoverExternal lists the plugin executables in dir. Files that are not
// executable or whose name is not a valid plugin name are skipped (and
// reported in skipped).
func discoverExternal(dir string) (found map[string]string, skipped []string, err error) {
	found = map[string]string{}
	if dir == "" {
		return found, nil, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	ents, err := os.ReadDir(abs)
	if os.IsNotExist(err) {
		return found, []string{fmt.Sprintf("plugins directory %s does not exist", abs)}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("error reading plugins directory %s: %w", abs, err)
	}
	for _, e := range ents {
		base := e.Name()
		if !strings.HasPrefix(base, ExternalPrefix) || e.IsDir() {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(base, ExternalPrefix), ".exe")
		if !ValidName(name) {
			skipped = append(skipped, fmt.Sprintf("%s: %q is not a valid plugin name (lowercase letters, digits, '-' and '_')", base, name))
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if !info.Mode().IsRegular() && info.Mode()&os.ModeSymlink == 0 {
			continue
		}
		if info.Mode().IsRegular() && info.Mode().Perm()&0o111 == 0 {
			skipped = append(skipped, fmt.Sprintf("%s is not executable", base))
			continue
		}
		found[name] = filepath.Join(abs, base)
	}
	return found, skipped, nil
}

// fileSHA256 hashes a file.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// short abbreviates a hex digest for messages.
func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

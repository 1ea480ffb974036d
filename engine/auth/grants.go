package auth

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
)

// Grant allows a role an action on a content type ("*" = every type).
type Grant struct {
	Role    Role   `bun:"role" json:"role"`
	Action  Action `bun:"action" json:"action"`
	TypeKey string `bun:"type_key" json:"type_key"`
}

type grantKey struct {
	role    Role
	action  Action
	typeKey string
}

type grantCache struct {
	mu     sync.Mutex
	ttl    time.Duration
	loaded time.Time
	set    map[grantKey]bool
}

func (s *Service) grantSet(ctx context.Context) (map[grantKey]bool, error) {
	s.grants.mu.Lock()
	defer s.grants.mu.Unlock()
	if s.grants.set != nil && s.now().Sub(s.grants.loaded) < s.grants.ttl {
		return s.grants.set, nil
	}
	var rows []Grant
	if err := s.db.NewSelect().Table("role_grants").Column("role", "action", "type_key").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("error loading role grants: %w", err)
	}
	set := make(map[grantKey]bool, len(rows))
	for _, g := range rows {
		set[grantKey{g.Role, g.Action, g.TypeKey}] = true
	}
	s.grants.set, s.grants.loaded = set, s.now()
	return set, nil
}

// Allowed reports whether p may perform action on entries of typeKey ("" for
// actions not tied to a type).
func (s *Service) Allowed(ctx context.Context, p Principal, action Action, typeKey string) (bool, error) {
	if p.Role == RoleAdmin {
		return true, nil
	}
	set, err := s.grantSet(ctx)
	if err != nil {
		return false, err
	}
	if set[grantKey{p.Role, action, "*"}] {
		return true, nil
	}
	return typeKey != "" && set[grantKey{p.Role, action, typeKey}], nil
}

// Require returns a Forbidden error unless p may perform action on typeKey.
func (s *Service) Require(ctx context.Context, p Principal, action Action, typeKey string) error {
	ok, err := s.Allowed(ctx, p, action, typeKey)
	if err != nil {
		return err
	}
	if !ok {
		if typeKey != "" {
			return apperr.New(apperr.Forbidden, "role %s may not %s on type %s", p.Role, action, typeKey)
		}
		return apperr.New(apperr.Forbidden, "role %s may not %s", p.Role, action)
	}
	return nil
}

// Grants lists every grant.
func (s *Service) Grants(ctx context.Context) ([]Grant, error) {
	var rows []Grant
	err := s.db.NewSelect().Table("role_grants").Column("role", "action", "type_key").
		OrderExpr("role, action, type_key").Scan(ctx, &rows)
	return rows, err
}

// SetGrant adds (allow=true) or removes a grant. Admin grants are implicit.
func (s *Service) SetGrant(ctx context.Context, g Grant, allow bool) error {
	if _, err := ParseRole(string(g.Role)); err != nil || g.Role == RoleAdmin {
		return apperr.New(apperr.Invalid, "role: grants apply to editor and reviewer (admins can do everything)")
	}
	if !slices.Contains(Actions, g.Action) {
		return apperr.New(apperr.Invalid, "action: unknown action %q", g.Action)
	}
	if g.TypeKey == "" {
		g.TypeKey = "*"
	}
	var err error
	if allow {
		_, err = s.db.NewInsert().Model(&g).ModelTableExpr("role_grants").On("CONFLICT DO NOTHING").Exec(ctx)
	} else {
		_, err = s.db.NewDelete().TableExpr("role_grants").
			Where("role = ? AND action = ? AND type_key = ?", g.Role, g.Action, g.TypeKey).Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("error saving grant: %w", err)
	}
	s.grants.mu.Lock()
	s.grants.set = nil
	s.grants.mu.Unlock()
	return nil
}

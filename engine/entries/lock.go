package entries

import (
	"context"
	"fmt"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/uptrace/bun"
)

// Lock durations.
const (
	DefaultLockTTL = 30 * time.Minute
	MaxLockTTL     = 24 * time.Hour
)

// lockOwner is who holds a lock: the user behind a token when there is one,
// so a person keeps their lock across sessions.
func lockOwner(p auth.Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return p.ID
}

func lockHeld(e *Entry, now time.Time) bool {
	return e.Locked && e.LockExpiresAt != nil && now.Before(*e.LockExpiresAt)
}

// Lock takes (or renews) the edit lock of an entry for ttl (0: the
// default). While it is held, others' saves are refused with a conflict.
func (s *Service) Lock(ctx context.Context, actor auth.Principal, id string, ttl time.Duration) (*Draft, error) {
	if ttl <= 0 {
		ttl = DefaultLockTTL
	}
	if ttl > MaxLockTTL {
		return nil, apperr.New(apperr.Invalid, "ttl: at most %s", MaxLockTTL)
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesUpdate, e.TypeKey); err != nil {
			return err
		}
		now := s.now()
		if err := lockedByOther(e, actor, now); err != nil {
			return err
		}
		exp := now.Add(ttl)
		owner := lockOwner(actor)
		e.Locked, e.LockedAt, e.LockedBy, e.LockExpiresAt = true, &now, &owner, &exp
		if _, err := tx.NewUpdate().Model(e).Column("locked", "locked_at", "locked_by", "lock_expires_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("error locking %s: %w", id, err)
		}
		return audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "lock", EntryID: e.ID, TypeKey: e.TypeKey, At: now,
			Data: map[string]any{"expires_at": exp}})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, auth.System, id)
}

// Unlock releases the lock. Only its owner may, or an admin (audited as a
// forced unlock).
func (s *Service) Unlock(ctx context.Context, actor auth.Principal, id string) (*Draft, error) {
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesUpdate, e.TypeKey); err != nil {
			return err
		}
		now := s.now()
		if !lockHeld(e, now) {
			return apperr.New(apperr.Conflict, "entry %s is not locked", id)
		}
		forced := deref(e.LockedBy) != lockOwner(actor)
		if forced && actor.Role != auth.RoleAdmin {
			return apperr.New(apperr.Forbidden, "entry %s is locked by %s; only they or an admin can unlock it", id, deref(e.LockedBy))
		}
		e.Locked, e.LockedAt, e.LockedBy, e.LockExpiresAt = false, nil, nil, nil
		if _, err := tx.NewUpdate().Model(e).Column("locked", "locked_at", "locked_by", "lock_expires_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("error unlocking %s: %w", id, err)
		}
		return audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "unlock", EntryID: e.ID, TypeKey: e.TypeKey, At: now,
			Data: map[string]any{"forced": forced}})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, auth.System, id)
}

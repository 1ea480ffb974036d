package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/google/uuid"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Service manages users, tokens and grants.
type Service struct {
	db     *store.DB
	argon  *argon2id.Params
	now    func() time.Time
	grants grantCache
}

// Options configure a Service; nil means defaults.
type Options struct {
	Argon2 *argon2id.Params // nil: DefaultArgon2
	Now    func() time.Time // nil: time.Now
	// GrantsTTL bounds how long another instance's grant change takes to be
	// seen here (default 10s).
	GrantsTTL time.Duration
}

// New returns a Service on db.
func New(db *store.DB, opts *Options) *Service {
	s := &Service{db: db, argon: DefaultArgon2, now: time.Now}
	s.grants.ttl = 10 * time.Second
	if opts != nil {
		if opts.Argon2 != nil {
			s.argon = opts.Argon2
		}
		if opts.Now != nil {
			s.now = opts.Now
		}
		if opts.GrantsTTL > 0 {
			s.grants.ttl = opts.GrantsTTL
		}
	}
	return s
}

// User is a person who signs in to the admin.
type User struct {
	bun.BaseModel `bun:"table:users"`
	ID            string    `bun:"id,pk" json:"id"`
	Email         string    `bun:"email" json:"email"`
	PasswordHash  string    `bun:"password_hash" json:"-"`
	Role          Role      `bun:"role" json:"role"`
	Disabled      bool      `bun:"disabled" json:"disabled"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
}

// Token is an API token; the plaintext is shown once, at creation.
type Token struct {
	bun.BaseModel `bun:"table:api_tokens"`
	ID            string     `bun:"id,pk" json:"id"`
	Name          string     `bun:"name" json:"name"`
	TokenHash     string     `bun:"token_hash" json:"-"`
	Prefix        string     `bun:"prefix" json:"prefix"`
	Role          Role       `bun:"role" json:"role"`
	UserID        *string    `bun:"user_id" json:"user_id,omitempty"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	ExpiresAt     *time.Time `bun:"expires_at" json:"expires_at,omitempty"`
	LastUsedAt    *time.Time `bun:"last_used_at" json:"last_used_at,omitempty"`
	RevokedAt     *time.Time `bun:"revoked_at" json:"revoked_at,omitempty"`
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// CreateUser adds a user with an argon2id password hash.
func (s *Service) CreateUser(ctx context.Context, email, password string, role Role) (*User, error) {
	email = strings.TrimSpace(email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return nil, apperr.New(apperr.Invalid, "email: %q is not an email address", email)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, apperr.New(apperr.Invalid, "role: %v", err)
	}
	if len([]rune(password)) < MinPasswordLength {
		return nil, apperr.New(apperr.Invalid, "password: must be at least %d characters", MinPasswordLength)
	}
	hash, err := HashPassword(password, s.argon)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &User{ID: uuid.Must(uuid.NewV7()).String(), Email: email, PasswordHash: hash, Role: role, CreatedAt: now, UpdatedAt: now}
	exists, err := s.db.NewSelect().Model((*User)(nil)).Where("lower(email) = lower(?)", email).Exists(ctx)
	if err != nil {
		return nil, fmt.Errorf("error checking user %s: %w", email, err)
	}
	if exists {
		return nil, apperr.New(apperr.Conflict, "a user with email %s already exists", email)
	}
	if _, err := s.db.NewInsert().Model(u).Exec(ctx); err != nil {
		return nil, fmt.Errorf("error creating user %s: %w", email, err)
	}
	return u, nil
}

// Authenticate checks an email and password. The error never says which of
// the two was wrong.
func (s *Service) Authenticate(ctx context.Context, email, password string) (*User, error) {
	u := new(User)
	err := s.db.NewSelect().Model(u).Where("lower(email) = lower(?)", strings.TrimSpace(email)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real comparison.
		_, _ = argon2id.ComparePasswordAndHash(password, dummyHash(s.argon))
		return nil, apperr.New(apperr.Unauthorized, "wrong email or password")
	}
	if err != nil {
		return nil, fmt.Errorf("error loading user: %w", err)
	}
	if !CheckPassword(password, u.PasswordHash) || u.Disabled {
		return nil, apperr.New(apperr.Unauthorized, "wrong email or password")
	}
	return u, nil
}

var (
	dummyOnce sync.Once
	dummy     string
)

func dummyHash(p *argon2id.Params) string {
	dummyOnce.Do(func() { dummy, _ = argon2id.CreateHash("not-a-password", p) })
	return dummy
}

// TokenInput describes a token to create.
type TokenInput struct {
	Name   string
	Role   Role
	UserID string        // optional owner
	TTL    time.Duration // 0: never expires
}

// tokenPrefix marks Inkling tokens so secret scanners can recognise them.
const tokenPrefix = "ink_"

// CreateToken creates an API token and returns it with its plaintext, which
// is not stored and cannot be shown again.
func (s *Service) CreateToken(ctx context.Context, in TokenInput) (*Token, string, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, "", apperr.New(apperr.Invalid, "name: a token needs a name")
	}
	if _, err := ParseRole(string(in.Role)); err != nil {
		return nil, "", apperr.New(apperr.Invalid, "role: %v", err)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, "", fmt.Errorf("error generating token: %w", err)
	}
	plain := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf))
	now := s.now().UTC()
	t := &Token{ID: uuid.Must(uuid.NewV7()).String(), Name: strings.TrimSpace(in.Name), TokenHash: hashToken(plain),
		Prefix: plain[:len(tokenPrefix)+6], Role: in.Role, CreatedAt: now}
	if in.UserID != "" {
		t.UserID = &in.UserID
	}
	if in.TTL > 0 {
		exp := now.Add(in.TTL)
		t.ExpiresAt = &exp
	}
	if _, err := s.db.NewInsert().Model(t).Exec(ctx); err != nil {
		return nil, "", fmt.Errorf("error creating token: %w", err)
	}
	return t, plain, nil
}

// hashToken hashes a high-entropy token. A fast hash is right here: the
// token has 256 random bits, so it cannot be guessed offline.
func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// lastUsedGranularity limits last_used_at writes to one per token per minute.
const lastUsedGranularity = time.Minute

// VerifyToken returns the principal of a bearer token.
func (s *Service) VerifyToken(ctx context.Context, plain string) (Principal, error) {
	if !strings.HasPrefix(plain, tokenPrefix) {
		return Principal{}, apperr.New(apperr.Unauthorized, "invalid token")
	}
	t := new(Token)
	err := s.db.NewSelect().Model(t).Where("token_hash = ?", hashToken(plain)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, apperr.New(apperr.Unauthorized, "invalid token")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("error loading token: %w", err)
	}
	now := s.now().UTC()
	if t.RevokedAt != nil || (t.ExpiresAt != nil && now.After(*t.ExpiresAt)) {
		return Principal{}, apperr.New(apperr.Unauthorized, "token expired or revoked")
	}
	if t.UserID != nil {
		u := new(User)
		if err := s.db.NewSelect().Model(u).Where("id = ?", *t.UserID).Scan(ctx); err != nil || u.Disabled {
			return Principal{}, apperr.New(apperr.Unauthorized, "token owner is disabled or gone")
		}
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > lastUsedGranularity {
		_, _ = s.db.NewUpdate().Model((*Token)(nil)).Set("last_used_at = ?", now).Where("id = ?", t.ID).Exec(ctx)
	}
	p := Principal{Kind: KindToken, ID: t.ID, Name: t.Name, Role: t.Role}
	if t.UserID != nil {
		p.UserID = *t.UserID
	}
	return p, nil
}

// RevokeToken revokes a token by id.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	res, err := s.db.NewUpdate().Model((*Token)(nil)).Set("revoked_at = ?", s.now().UTC()).
		Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("error revoking token %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.NotFound, "no active token %s", id)
	}
	return nil
}

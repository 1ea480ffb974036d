// Package preview signs and verifies short-lived preview tokens. A token
// lets the delivery API return a draft (the latest revision) or one given
// revision of one entry, for an app's preview screen, without a
// management-API credential. Tokens are HMAC-SHA256 signed with the
// server's secret key (INKLING_SECRET_KEY, shared by every instance).
package preview

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Claims say what a token lets its holder see.
type Claims struct {
	EntryID    string `json:"e"`
	RevisionID string `json:"r,omitempty"` // empty: the latest revision at request time
	Expires    int64  `json:"x"`           // unix seconds
}

// Limits of token lifetimes.
const (
	DefaultTTL = time.Hour
	MaxTTL     = 7 * 24 * time.Hour
)

// Signer issues and checks tokens.
type Signer struct {
	key []byte
	now func() time.Time
}

// ErrInvalid is returned for any token that is malformed, forged or expired.
var ErrInvalid = errors.New("invalid or expired preview token")

// NewSigner returns a signer; key must be at least 32 bytes.
func NewSigner(key []byte, now func() time.Time) (*Signer, error) {
	if len(key) < 32 {
		return nil, errors.New("the secret key must be at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, now: now}, nil
}

var enc = base64.RawURLEncoding

// Sign returns a token for c valid for ttl.
func (s *Signer) Sign(c Claims, ttl time.Duration) (string, time.Time) {
	exp := s.now().Add(ttl).Truncate(time.Second)
	c.Expires = exp.Unix()
	payload, _ := json.Marshal(c)
	p := enc.EncodeToString(payload)
	return p + "." + enc.EncodeToString(s.mac(p)), exp
}

func (s *Signer) mac(p string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("inkling-preview-v1."))
	m.Write([]byte(p))
	return m.Sum(nil)
}

// Verify checks a token's signature and expiry.
func (s *Signer) Verify(token string) (Claims, error) {
	var c Claims
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return c, ErrInvalid
	}
	got, err := enc.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return c, ErrInvalid
	}
	payload, err := enc.DecodeString(p)
	if err != nil || json.Unmarshal(payload, &c) != nil || c.EntryID == "" {
		return c, ErrInvalid
	}
	if s.now().Unix() >= c.Expires {
		return c, ErrInvalid
	}
	return c, nil
}

package auth

import (
	"fmt"

	"github.com/alexedwards/argon2id"
)

// DefaultArgon2 are the argon2id parameters used in production: 64 MiB, one
// pass, two lanes (RFC 9106's second recommended option, as argon2id's
// DefaultParams).
var DefaultArgon2 = argon2id.DefaultParams

// HashPassword hashes a password with argon2id.
func HashPassword(password string, p *argon2id.Params) (string, error) {
	if p == nil {
		p = DefaultArgon2
	}
	h, err := argon2id.CreateHash(password, p)
	if err != nil {
		return "", fmt.Errorf("error hashing password: %w", err)
	}
	return h, nil
}

// CheckPassword compares a password with its hash in constant time.
func CheckPassword(password, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}

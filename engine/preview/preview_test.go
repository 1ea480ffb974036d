package preview

import (
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s, err := NewSigner([]byte(strings.Repeat("k", 32)), clock)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSigner([]byte(strings.Repeat("o", 32)), clock)
	tok, exp := s.Sign(Claims{EntryID: "e1", RevisionID: "r1"}, time.Hour)
	if !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("expiry %v", exp)
	}
	tampered := strings.Replace(tok, tok[:5], "AAAAA", 1)
	tests := []struct {
		name  string
		token string
		s     *Signer
		at    time.Time
		ok    bool
	}{
		{"valid", tok, s, now, true},
		{"just before expiry", tok, s, now.Add(time.Hour - time.Second), true},
		{"expired", tok, s, now.Add(time.Hour), false},
		{"other key", tok, other, now, false},
		{"tampered payload", tampered, s, now, false},
		{"no signature", strings.Split(tok, ".")[0], s, now, false},
		{"garbage", "a.b", s, now, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.at
			tc.s.now = func() time.Time { return at }
			c, err := tc.s.Verify(tc.token)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && (c.EntryID != "e1" || c.RevisionID != "r1") {
				t.Fatalf("claims %+v", c)
			}
		})
	}
	if _, err := NewSigner([]byte("short"), nil); err == nil {
		t.Fatal("short key accepted")
	}
}

package jobs

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// TestBackoff: the n-th failure waits base × n⁴ within ±10%, capped at a
// day.
func TestBackoff(t *testing.T) {
	cases := []struct {
		base   time.Duration
		errors int // failures recorded before this one
		want   time.Duration
	}{
		{0, 0, time.Second},
		{0, 1, 16 * time.Second},
		{0, 2, 81 * time.Second},
		{10 * time.Millisecond, 0, 10 * time.Millisecond},
		{10 * time.Millisecond, 3, 2560 * time.Millisecond},
		{time.Hour, 5, 24 * time.Hour},
	}
	for _, tc := range cases {
		job := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, tc.errors)}
		for range 20 {
			before := time.Now()
			got := backoff{base: tc.base}.NextRetry(job).Sub(before)
			lo, hi := time.Duration(float64(tc.want)*0.9)-time.Millisecond, time.Duration(float64(tc.want)*1.1)+50*time.Millisecond
			if got < lo || got > hi {
				t.Fatalf("base %s after %d errors: retry in %s, want %s ±10%%", tc.base, tc.errors, got, tc.want)
			}
		}
	}
}

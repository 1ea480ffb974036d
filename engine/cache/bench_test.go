package cache

import (
	"context"
	"testing"

	"github.com/inklingcms/inkling/engine/testdb"
)

// BenchmarkFetchHit measures a cache hit: in-process memory, Redis with
// client-side caching (served from process memory), and Redis without it
// (one round trip to a local server).
func BenchmarkFetchHit(b *testing.B) {
	val := make([]byte, 4096)
	fill := func(context.Context) ([]byte, []string, error) { return val, []string{"entry:1"}, nil }
	for _, bc := range []struct {
		name string
		open func(b *testing.B) *Cache
	}{
		{"memory", func(b *testing.B) *Cache { return newMemory(b, Config{}) }},
		{"redis-client-side", func(b *testing.B) *Cache { return newRedis(b, testdb.Redis(b), Config{}) }},
		{"redis-round-trip", func(b *testing.B) *Cache {
			srv := testdb.Redis(b)
			c, err := New(Config{RedisURL: srv.URL() + "?client_cache=0", Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Close)
			return c
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := bc.open(b)
			ctx := context.Background()
			for range 3 { // fill, then let a cached miss be invalidated
				if _, err := c.Fetch(ctx, "hot", FetchOptions{}, fill); err != nil {
					b.Fatal(err)
				}
			}
			fills := c.Stats().Fills
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Fetch(ctx, "hot", FetchOptions{}, fill); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if st := c.Stats(); st.Fills != fills {
				b.Fatalf("hits refilled: %+v", st)
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			c := bc.open(b)
			ctx := context.Background()
			for range 3 {
				if _, err := c.Fetch(ctx, "hot", FetchOptions{}, fill); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Fetch(ctx, "hot", FetchOptions{}, fill); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

package api_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/inklingcms/inkling/api"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/valyala/fasthttp"
)

// benchServer is a server over SQLite with 500 published articles, with or
// without the response cache. Requests go straight to fiber's fasthttp
// handler: no network, so the numbers are the server's own cost.
func benchServer(b *testing.B, cached bool) (fasthttp.RequestHandler, string) {
	b.Helper()
	env := newEnv(b, sqliteBackend)
	var id string
	for i := 0; i < 500; i++ {
		id = env.createEntry(b, "editor", "", map[string]any{"type": "article", "title": fmt.Sprintf("Article %d", i),
			"fields": map[string]any{"views": i, "category": []string{"news", "blog"}[i%2], "tags": []string{"a", "b"},
				"body": "Some **markdown** body text for the benchmark."}})
		env.publish(b, "editor", id)
	}
	deps := env.Server.Deps
	if cached {
		c, err := cache.New(cache.Config{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.Close)
		deps.Cache = c
	}
	return api.New(deps).App.Handler(), id
}

func benchGet(b *testing.B, h fasthttp.RequestHandler, uri string) {
	b.Helper()
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetMethod("GET")
	h(&ctx)
	if ctx.Response.StatusCode() != 200 {
		b.Fatalf("%s: %d %s", uri, ctx.Response.StatusCode(), ctx.Response.Body())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ctx.Response.Reset()
		h(&ctx)
	}
	b.StopTimer()
	var v map[string]any
	if err := json.Unmarshal(ctx.Response.Body(), &v); err != nil || ctx.Response.StatusCode() != 200 {
		b.Fatalf("last response: %d %v", ctx.Response.StatusCode(), err)
	}
}

func BenchmarkDeliveryGetCached(b *testing.B) {
	h, id := benchServer(b, true)
	benchGet(b, h, "/api/v1/content/article/"+id)
}

func BenchmarkDeliveryGetUncached(b *testing.B) {
	h, id := benchServer(b, false)
	benchGet(b, h, "/api/v1/content/article/"+id)
}

func BenchmarkDeliveryListCached(b *testing.B) {
	h, _ := benchServer(b, true)
	benchGet(b, h, "/api/v1/content/article?filter%5Bcategory%5D=news&limit=20")
}

func BenchmarkDeliveryListUncached(b *testing.B) {
	h, _ := benchServer(b, false)
	benchGet(b, h, "/api/v1/content/article?filter%5Bcategory%5D=news&limit=20")
}

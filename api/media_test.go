package api_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/engine/jobs"
)

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, 0, color.RGBA{G: uint8(x), A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func multipartUpload(t testing.TB, filename, ctype string, data []byte, fields map[string]string) (string, *bytes.Buffer) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="` + filename + `"`}
	h["Content-Type"] = []string{ctype}
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	return mw.FormDataContentType(), &body
}

func TestMediaAPI(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	photo := testPNG(t, 120, 60)

	upload := func(role, ctype string, body []byte, query string) *testResponse {
		req := httptest.NewRequest("POST", "/api/admin/v1/media"+query, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if role != "" {
			req.Header.Set("Authorization", "Bearer "+env.get(t, "token:"+role))
		}
		return env.send(t, req)
	}
	mpType, mpBody := multipartUpload(t, "field.png", "image/png", photo, map[string]string{"alt": "A green gradient"})
	cases := []struct {
		name   string
		role   string
		ctype  string
		body   []byte
		query  string
		status int
		path   string // diagnostic path of a 4xx
	}{
		{"multipart by an editor", "editor", mpType, mpBody.Bytes(), "", 201, ""},
		{"raw body", "admin", "image/png", photo, "?filename=again.png", 201, ""},
		{"anonymous", "", "image/png", photo, "?filename=a.png", 401, ""},
		{"reviewer", "reviewer", "image/png", photo, "?filename=a.png", 403, ""},
		{"no file name", "editor", "image/png", photo, "", 422, "filename"},
		{"html is refused", "editor", "text/html", []byte("<!DOCTYPE html><script>alert(1)</script>"), "?filename=x.html", 422, "file"},
		{"over the media limit", "editor", "text/plain", bytes.Repeat([]byte("a"), testBodyLimit/2+1), "?filename=big.txt", 413, ""},
		{"multipart without a file part", "editor", "multipart/form-data; boundary=x", []byte("--x--\r\n"), "", 422, "file"},
	}
	var key string
	for _, tc := range cases {
		res := upload(tc.role, tc.ctype, tc.body, tc.query)
		if res.Status != tc.status {
			t.Fatalf("%s: %d %s", tc.name, res.Status, res.Body)
		}
		if tc.path != "" && !strings.Contains(string(res.Body), `"path":"`+tc.path+`"`) {
			t.Errorf("%s: no diagnostic at %s: %s", tc.name, tc.path, res.Body)
		}
		if tc.status == 201 {
			a := res.JSON(t)
			if a["width"] != float64(120) || a["height"] != float64(60) || a["content_type"] != "image/png" || !strings.HasPrefix(a["url"].(string), "/media/") {
				t.Errorf("%s: %v", tc.name, a)
			}
			if key != "" && a["key"] != key {
				t.Errorf("%s: same bytes, new key %v (first %s)", tc.name, a["key"], key)
			}
			key = a["key"].(string)
			if tc.name == "multipart by an editor" && a["alt"] != "A green gradient" {
				t.Errorf("alt: %v", a["alt"])
			}
		}
	}

	// The public file: immutable, typed, ranged, revalidated.
	req := httptest.NewRequest("GET", "/media/"+key, nil)
	res := env.send(t, req)
	if res.Status != 200 || !bytes.Equal(res.Body, photo) || res.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(res.Header.Get("Cache-Control"), "immutable") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET /media: %d %v", res.Status, res.Header)
	}
	req = httptest.NewRequest("GET", "/media/"+key, nil)
	req.Header.Set("Range", "bytes=0-9")
	if res := env.send(t, req); res.Status != http.StatusPartialContent || len(res.Body) != 10 {
		t.Errorf("range: %d %d bytes", res.Status, len(res.Body))
	}
	req = httptest.NewRequest("GET", "/media/"+key, nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res := env.send(t, req); res.Status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", res.Status)
	}
	for _, missing := range []string{"/media/nope.png", "/media/../../etc/passwd", "/media/"} {
		if res := env.send(t, httptest.NewRequest("GET", missing, nil)); res.Status != 404 {
			t.Errorf("%s: %d", missing, res.Status)
		}
	}

	// Metadata, focal point, listing.
	env.must(t, 200, "reviewer", "GET", "/api/admin/v1/media/"+key, nil)
	env.must(t, 404, "editor", "GET", "/api/admin/v1/media/nope.png", nil)
	patches := []struct {
		body   string
		status int
		path   string
	}{
		{`{"focal_point":{"x":0.75,"y":0.5},"title":"Field"}`, 200, ""},
		{`{"focal_point":{"x":2,"y":0.5}}`, 422, "focal_point.x"},
		{`{"focal_point":"centre"}`, 422, "focal_point"},
		{`{"focal_point":{"x":0.5}}`, 422, "focal_point"},
		{`{"colour":"red"}`, 400, "colour"},
	}
	for _, p := range patches {
		res := env.call(t, "editor", "PATCH", "/api/admin/v1/media/"+key, p.body)
		if res.Status != p.status || (p.path != "" && !strings.Contains(string(res.Body), p.path)) {
			t.Errorf("PATCH %s: %d %s", p.body, res.Status, res.Body)
		}
	}
	if a := env.must(t, 200, "editor", "GET", "/api/admin/v1/media/"+key, nil); a["title"] != "Field" || a["focal_point"].(map[string]any)["x"] != 0.75 {
		t.Errorf("after patch: %v", a)
	}
	if l := env.must(t, 200, "reviewer", "GET", "/api/admin/v1/media?type=image/", nil); len(l["items"].([]any)) != 1 {
		t.Errorf("list: %v", l)
	}
	env.must(t, 422, "reviewer", "GET", "/api/admin/v1/media?limit=x", nil)

	// Renditions: a redirect to the generated image, cropped around the
	// focal point.
	rendition := []struct {
		query  string
		status int
		w, h   int
	}{
		{"?w=60", 302, 60, 30},
		{"?w=40&h=40&fit=cover", 302, 40, 40},
		{"?w=20&redirect=false", 200, 20, 10},
		{"?w=0", 422, 0, 0},
		{"?w=10&fit=stretch", 422, 0, 0},
		{"", 422, 0, 0},
	}
	for _, tc := range rendition {
		res := env.send(t, httptest.NewRequest("GET", "/api/v1/media/"+key+"/rendition"+tc.query, nil))
		if res.Status != tc.status {
			t.Fatalf("rendition %s: %d %s", tc.query, res.Status, res.Body)
		}
		if tc.status == 422 {
			continue
		}
		loc := res.Header.Get("Location")
		if tc.status == 200 {
			loc = res.JSON(t)["url"].(string)
		}
		img := env.send(t, httptest.NewRequest("GET", loc, nil))
		cfg, _, err := image.DecodeConfig(bytes.NewReader(img.Body))
		if img.Status != 200 || err != nil || cfg.Width != tc.w || cfg.Height != tc.h {
			t.Errorf("rendition %s at %s: %d %v %+v", tc.query, loc, img.Status, err, cfg)
		}
	}
	if res := env.send(t, httptest.NewRequest("GET", "/api/v1/media/nope.png/rendition?w=10", nil)); res.Status != 404 {
		t.Errorf("rendition of a missing key: %d", res.Status)
	}
}

func TestJobsAPI(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	if err := jobs.Migrate(t.Context(), env.DB); err != nil {
		t.Fatal(err)
	}
	if err := env.Queue.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Queue.Stop(context.Background()) })
	cases := []struct {
		role, method, url string
		status            int
	}{
		{"admin", "GET", "/api/admin/v1/jobs/failures", 200},
		{"admin", "GET", "/api/admin/v1/jobs/failures?plugin=aitags&limit=5", 200},
		{"admin", "GET", "/api/admin/v1/jobs/failures?limit=0", 422},
		{"editor", "GET", "/api/admin/v1/jobs/failures", 403},
		{"", "GET", "/api/admin/v1/jobs/failures", 401},
		{"admin", "GET", "/api/admin/v1/jobs/abc", 404},
		{"admin", "GET", "/api/admin/v1/jobs/987654", 404},
		{"admin", "POST", "/api/admin/v1/jobs/987654/retry", 404},
		{"editor", "POST", "/api/admin/v1/jobs/1/retry", 403},
	}
	for _, tc := range cases {
		res := env.call(t, tc.role, tc.method, tc.url, nil)
		if res.Status != tc.status {
			t.Errorf("%s %s as %q: %d %s", tc.method, tc.url, tc.role, res.Status, res.Body)
		}
		if tc.status == 200 && !strings.Contains(string(res.Body), `"items":[]`) {
			t.Errorf("%s: %s", tc.url, res.Body)
		}
	}
}

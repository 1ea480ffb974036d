package jobs_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/engine/jobs"
)

// TestUIHandler: River UI answers under its prefix in a process that does
// not work jobs (the web role serves the admin), and lists inserted jobs.
func TestUIHandler(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := b.open(t)
			j := newJobs(t, db, "", func(c *jobs.Config) { c.Work = false })
			registerNotes(j, newTally())
			if _, err := j.UIHandler("/admin/jobs"); err == nil {
				t.Error("UIHandler before Start succeeded")
			}
			start(t, j)
			if _, err := j.Insert(ctx, noteArgs{Note: "ui"}, nil); err != nil {
				t.Fatal(err)
			}
			h, err := j.UIHandler("/admin/jobs")
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			for _, tc := range []struct {
				path, want string
			}{
				{"/admin/jobs/", "<html"},
				{"/admin/jobs/api/jobs?state=available", `"test_note"`},
				{"/admin/jobs/api/queues", `"data"`},
				{"/admin/jobs/api/features", `"`},
			} {
				resp, err := http.Get(srv.URL + tc.path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
					t.Errorf("GET %s = %d %.300s; want 200 containing %s", tc.path, resp.StatusCode, body, tc.want)
				}
			}
		})
	}
}

package jobs

import (
	"errors"
	"fmt"
	"net/http"

	"riverqueue.com/riverui"
)

// UIHandler returns River UI (jobs, queues, errors; retry, cancel and delete
// buttons) serving under prefix, e.g. "/admin/jobs". It is for admins only:
// the caller must put it behind authentication. It works in every role (it
// reads and changes River's tables through the insert client), from Start
// until Stop, whose end also stops its background services.
func (j *Jobs) UIHandler(prefix string) (http.Handler, error) {
	c, err := j.client()
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	ctx := j.runCtx
	j.mu.Unlock()
	if ctx.Err() != nil {
		return nil, errors.New("jobs: UIHandler called after Stop")
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(c, nil),
		Logger:    j.log,
		Prefix:    prefix,
	})
	if err != nil {
		return nil, fmt.Errorf("error creating the River UI handler: %w", err)
	}
	if err := h.Start(ctx); err != nil {
		return nil, fmt.Errorf("error starting the River UI handler: %w", err)
	}
	return h, nil
}

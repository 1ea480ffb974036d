package api

import (
	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/workflow"
)

func (s *Server) bindAdminWorkflows(r fiber.Router) {
	r.Get("/workflows", s.listWorkflows)
	r.Post("/workflows", s.createWorkflow)
	r.Get("/entries/:id/workflow", s.entryWorkflow)
	r.Post("/entries/:id/workflow/submit", s.workflowTransition(func(c fiber.Ctx, comment string) (*workflow.State, error) {
		return s.Workflow.Submit(c.Context(), principal(c), c.Params("id"), comment)
	}))
	r.Post("/entries/:id/workflow/approve", s.workflowTransition(func(c fiber.Ctx, comment string) (*workflow.State, error) {
		return s.Workflow.Approve(c.Context(), principal(c), c.Params("id"), comment)
	}))
	r.Post("/entries/:id/workflow/request-changes", s.workflowTransition(func(c fiber.Ctx, comment string) (*workflow.State, error) {
		return s.Workflow.RequestChanges(c.Context(), principal(c), c.Params("id"), comment)
	}))
	r.Post("/entries/:id/workflow/cancel", s.workflowTransition(func(c fiber.Ctx, _ string) (*workflow.State, error) {
		return s.Workflow.Cancel(c.Context(), principal(c), c.Params("id"))
	}))
}

func (s *Server) listWorkflows(c fiber.Ctx) error {
	ws, err := s.Workflow.List(c.Context(), principal(c))
	if err != nil {
		return err
	}
	if ws == nil {
		ws = []workflow.Workflow{}
	}
	return c.JSON(fiber.Map{"items": ws})
}

func (s *Server) createWorkflow(c fiber.Ctx) error {
	var in workflow.Input
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	w, err := s.Workflow.Create(c.Context(), principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(w)
}

func (s *Server) entryWorkflow(c fiber.Ctx) error {
	st, err := s.Workflow.Current(c.Context(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"workflow": st})
}

type commentRequest struct {
	Comment string `json:"comment,omitempty"`
}

func (s *Server) workflowTransition(do func(c fiber.Ctx, comment string) (*workflow.State, error)) fiber.Handler {
	return func(c fiber.Ctx) error {
		var in commentRequest
		if err := optionalBody(c, &in); err != nil {
			return err
		}
		st, err := do(c, in.Comment)
		if err != nil {
			return err
		}
		return c.JSON(st)
	}
}

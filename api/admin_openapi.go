package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/media"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/webhooks"
	"github.com/inklingcms/inkling/engine/workflow"
)

// adminRoute documents one management route. The table is the source of the
// management OpenAPI document; a test checks it against the routes fiber
// actually serves, so the two cannot drift.
type adminRoute struct {
	Method, Path, Summary, Permission string
	Body                              any // request body type (nil: none)
	Resp                              any // 2xx body type (nil: no body)
	Status                            int // 2xx status
	Query                             []string
}

type actionList struct {
	Items []pluginhost.ActionSpec `json:"items"`
}

type itemsOf[T any] struct {
	Items []T `json:"items"`
}

func adminRoutes() []adminRoute {
	return []adminRoute{
		{"POST", "/auth/token", "Exchange an email and password for a 12-hour token", "—", loginRequest{}, tokenResponse{}, 201, nil},
		{"GET", "/me", "Who this token is", "—", nil, auth.Principal{}, 200, nil},
		{"POST", "/auth/session", "Sign in a browser: the token goes in an HttpOnly SameSite=Strict cookie", "—", loginRequest{}, sessionResponse{}, 201, nil},
		{"DELETE", "/auth/session", "Sign out (revokes the session's token)", "—", nil, nil, 204, nil},
		{"GET", "/content-types", "List content types", "types.read", nil, itemsOf[registry.Type]{}, 200, nil},
		{"POST", "/content-types", "Register or additively change a content type", "types.manage", contenttypes.ContentType{}, registerResponse{}, 201, nil},
		{"GET", "/content-types/:key", "Show a content type", "types.read", nil, registry.Type{}, 200, nil},
		{"GET", "/content-types/:key/schema", "JSON Schema of a type's field values", "types.read", nil, map[string]any{}, 200, []string{"mode"}},
		{"GET", "/entries", "List entries of a type (drafts and live)", "entries.read", nil, entryList{}, 200, []string{"type", "parent", "after", "limit"}},
		{"POST", "/entries", "Create an entry (a draft)", "entries.create", entries.CreateInput{}, entries.Draft{}, 201, nil},
		{"GET", "/entries/:id", "An entry with its latest revision", "entries.read", nil, entries.Draft{}, 200, nil},
		{"PUT", "/entries/:id", "Save a new revision", "entries.update", entries.SaveInput{}, entries.Draft{}, 200, nil},
		{"DELETE", "/entries/:id", "Delete an entry", "entries.delete", nil, nil, 204, nil},
		{"GET", "/entries/:id/revisions", "Revision history, newest first", "entries.read", nil, itemsOf[entries.Revision]{}, 200, nil},
		{"GET", "/entries/:id/revisions/:rev", "One revision", "entries.read", nil, entries.Revision{}, 200, nil},
		{"POST", "/entries/:id/publish", "Publish the latest (or a given) revision", "entries.publish", entries.PublishInput{}, entries.Draft{}, 200, nil},
		{"POST", "/entries/:id/unpublish", "Take an entry offline", "entries.publish", nil, entries.Draft{}, 200, nil},
		{"POST", "/entries/:id/move", "Move a page and its subtree", "entries.move", entries.MoveInput{}, entries.Draft{}, 200, nil},
		{"POST", "/entries/:id/revert", "New draft from an old revision", "entries.update", revertRequest{}, entries.Draft{}, 200, nil},
		{"GET", "/entries/:id/diff", "Field- and block-level diff of two revisions", "entries.read", nil, entries.Diff{}, 200, []string{"from", "to"}},
		{"POST", "/entries/:id/lock", "Take or renew the edit lock", "entries.update", lockRequest{}, entries.Draft{}, 200, nil},
		{"DELETE", "/entries/:id/lock", "Release the edit lock", "entries.update", nil, entries.Draft{}, 200, nil},
		{"POST", "/entries/:id/preview", "A preview token and URL", "entries.read", previewRequest{}, previewResponse{}, 201, nil},
		{"POST", "/entries/:id/schedule", "Schedule a publish or unpublish", "entries.publish", entries.ScheduleInput{}, entries.Schedule{}, 201, nil},
		{"GET", "/schedules", "Upcoming schedules first, then finished ones", "entries.read", nil, itemsOf[entries.Schedule]{}, 200, []string{"entry", "pending"}},
		{"DELETE", "/schedules/:id", "Cancel a pending schedule", "entries.publish", nil, nil, 204, nil},
		{"GET", "/entries/:id/workflow", "The entry's latest workflow with task decisions", "entries.read", nil, map[string]*workflow.State{}, 200, nil},
		{"POST", "/entries/:id/workflow/submit", "Submit for review", "entries.update", commentRequest{}, workflow.State{}, 200, nil},
		{"POST", "/entries/:id/workflow/approve", "Approve the current task", "task role + entries.review", commentRequest{}, workflow.State{}, 200, nil},
		{"POST", "/entries/:id/workflow/request-changes", "Ask for changes", "task role + entries.review", commentRequest{}, workflow.State{}, 200, nil},
		{"POST", "/entries/:id/workflow/cancel", "Withdraw the submission", "requester or admin", commentRequest{}, workflow.State{}, 200, nil},
		{"GET", "/workflows", "List workflows", "types.read", nil, itemsOf[workflow.Workflow]{}, 200, nil},
		{"POST", "/workflows", "Create a workflow", "types.manage", workflow.Input{}, workflow.Workflow{}, 201, nil},
		{"GET", "/webhooks", "List webhooks", "admin", nil, itemsOf[webhooks.Webhook]{}, 200, nil},
		{"POST", "/webhooks", "Create a webhook (the secret is shown once)", "admin", webhooks.Input{}, webhooks.Created{}, 201, nil},
		{"DELETE", "/webhooks/:id", "Delete a webhook", "admin", nil, nil, 204, nil},
		{"GET", "/webhooks/:id/deliveries", "Recent deliveries with attempts and errors", "admin", nil, itemsOf[webhooks.Delivery]{}, 200, []string{"limit"}},
		{"GET", "/plugins", "Plugins with status, version, protocol, content types, pid and restarts", "admin", nil, itemsOf[pluginhost.Status]{}, 200, nil},
		{"GET", "/plugins/:name", "One plugin", "admin", nil, pluginhost.Status{}, 200, nil},
		{"POST", "/plugins/:name/enable", "Enable a plugin (an external one is pinned to its file's sha256)", "admin", nil, pluginhost.Status{}, 200, nil},
		{"POST", "/plugins/:name/disable", "Disable a plugin", "admin", nil, pluginhost.Status{}, 200, nil},
		{"PUT", "/plugins/:name/settings", "Replace a plugin's settings (restarts it)", "admin", map[string]string{}, pluginhost.Status{}, 200, nil},
		{"GET", "/actions", "Admin actions the running plugins offer", "—", nil, actionList{}, 200, nil},
		{"POST", "/plugins/:name/actions/:action", "Run a plugin's admin action", "entries.update on the entry's type, or admin", actionRequest{}, pluginhost.ActionResult{}, 200, nil},
		{"GET", "/system", "Version, database, and cache health and counters", "admin", nil, systemInfo{}, 200, nil},
		{"GET", "/jobs/failures", "Background jobs whose last attempt failed (waiting for a retry, or given up), newest first", "admin", nil, itemsOf[jobView]{}, 200, []string{"kind", "plugin", "plugin_kind", "limit"}},
		{"GET", "/jobs/:id", "One background job with its errors", "admin", nil, jobView{}, 200, nil},
		{"POST", "/jobs/:id/retry", "Run a failed job again now", "admin", nil, jobView{}, 200, nil},
		{"POST", "/media", "Upload a file (multipart part \"file\", or the raw body with ?filename=)", "media.write", nil, media.Asset{}, 201, []string{"filename", "title", "alt"}},
		{"GET", "/media", "Media, newest first", "media.read", nil, media.Page{}, 200, []string{"type", "cursor", "limit"}},
		{"GET", "/media/:key", "One media asset", "media.read", nil, media.Asset{}, 200, nil},
		{"PATCH", "/media/:key", "Change title, alt text or focal point (null removes it)", "media.write", mediaPatch{}, media.Asset{}, 200, nil},
		{"GET", "/entries/:id/media", "Media plugins attached to an entry (generated narration...)", "entries.read", nil, itemsOf[*media.Asset]{}, 200, []string{"role"}},
		{"GET", "/audit", "Audit log, newest first", "audit.read", nil, itemsOf[audit.Entry]{}, 200, []string{"entry", "action", "before", "limit"}},
		{"POST", "/users", "Create a user", "users.manage", createUserRequest{}, auth.User{}, 201, nil},
		{"POST", "/tokens", "Create an API token (shown once)", "users.manage", createTokenRequest{}, tokenResponse{}, 201, nil},
		{"DELETE", "/tokens/:id", "Revoke a token (your own, or any as admin)", "users.manage", nil, nil, 204, nil},
		{"GET", "/grants", "Per-role, per-type permissions", "users.manage", nil, itemsOf[auth.Grant]{}, 200, nil},
		{"PUT", "/grants", "Allow or revoke a grant", "users.manage", grantRequest{}, nil, 204, nil},
	}
}

var paramPattern = regexp.MustCompile(`:([a-zA-Z]+)`)

// BuildAdminOpenAPI generates the OpenAPI 3.1 document of the management
// API from the route table, with schemas generated from the Go types.
func BuildAdminOpenAPI(version string) (*openapi3.T, error) {
	schemas := openapi3.Schemas{}
	gen := openapi3gen.NewGenerator(
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true, ExportGenerics: false}),
		openapi3gen.SchemaCustomizer(func(_ string, t reflect.Type, _ reflect.StructTag, s *openapi3.Schema) error {
			switch t {
			case reflect.TypeFor[json.RawMessage](), reflect.TypeFor[contenttypes.Values]():
				*s = openapi3.Schema{Description: "JSON value"}
			case reflect.TypeFor[time.Time]():
				*s = *openapi3.NewDateTimeSchema()
			}
			return nil
		}),
	)
	doc := &openapi3.T{
		OpenAPI: "3.1.0",
		Info: &openapi3.Info{Title: "Inkling management API", Version: version,
			Description: "Bearer-token API for editors' tools and the admin UI. Errors are RFC 9457 problem+json (see /api/v1/openapi.json, Problem).",
			License:     &openapi3.License{Name: "Proprietary", Identifier: "LicenseRef-Proprietary"}},
		Servers: openapi3.Servers{{URL: "/api/admin/v1", Description: "this server"}},
		Paths:   openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: schemas, SecuritySchemes: openapi3.SecuritySchemes{
			"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("ink_…")}}},
		Security: openapi3.SecurityRequirements{{"bearer": []string{}}},
	}
	doc.Components.Schemas["Problem"] = openapi3.NewSchemaRef("", openapi3.NewObjectSchema().
		WithProperty("type", openapi3.NewStringSchema()).WithProperty("title", openapi3.NewStringSchema()).
		WithProperty("status", openapi3.NewIntegerSchema()).WithProperty("detail", openapi3.NewStringSchema()).
		WithProperty("code", openapi3.NewStringSchema()).WithProperty("request_id", openapi3.NewStringSchema()).
		WithPropertyRef("diagnostics", openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(openapi3.NewObjectSchema()))).
		WithRequired([]string{"type", "title", "status", "code"}))
	schemaOf := func(v any) (*openapi3.SchemaRef, error) {
		ref, err := gen.NewSchemaRefForValue(v, schemas)
		if err != nil {
			return nil, fmt.Errorf("schema of %T: %w", v, err)
		}
		return ref, nil
	}
	for _, r := range adminRoutes() {
		path := paramPattern.ReplaceAllString(r.Path, "{$1}")
		o := openapi3.NewOperation()
		o.OperationID = operationID(r.Method, r.Path)
		o.Summary = r.Summary
		o.Description = "Permission: " + r.Permission + "."
		o.Tags = []string{strings.Split(strings.TrimPrefix(r.Path, "/"), "/")[0]}
		for _, m := range paramPattern.FindAllStringSubmatch(r.Path, -1) {
			o.Parameters = append(o.Parameters, pathParam(m[1], m[1]))
		}
		for _, q := range r.Query {
			o.Parameters = append(o.Parameters, queryParam(q, q, openapi3.NewStringSchema()))
		}
		if r.Body != nil {
			sch, err := schemaOf(r.Body)
			if err != nil {
				return nil, err
			}
			o.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(sch)}
		}
		o.Responses = openapi3.NewResponses()
		o.Responses.Delete("default")
		if r.Resp != nil {
			sch, err := schemaOf(r.Resp)
			if err != nil {
				return nil, err
			}
			o.Responses.Set(fmt.Sprint(r.Status), jsonResponse(http.StatusText(r.Status), sch))
		} else {
			o.Responses.Set(fmt.Sprint(r.Status), &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(http.StatusText(r.Status))})
		}
		for code, resp := range problemResponses(400, 401, 403, 404, 409, 422) {
			o.Responses.Set(fmt.Sprint(code), resp)
		}
		item := doc.Paths.Value(path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(path, item)
		}
		item.SetOperation(r.Method, o)
	}
	if len(schemas) > 0 {
		for k, v := range schemas {
			doc.Components.Schemas[k] = v
		}
	}
	seen := map[*openapi3.Schema]bool{}
	for _, sch := range doc.Components.Schemas {
		to31(sch, seen)
	}
	for _, item := range doc.Paths.Map() {
		for _, o := range item.Operations() {
			if o.RequestBody != nil {
				for _, mt := range o.RequestBody.Value.Content {
					to31(mt.Schema, seen)
				}
			}
			for _, r := range o.Responses.Map() {
				for _, mt := range r.Value.Content {
					to31(mt.Schema, seen)
				}
			}
		}
	}
	return doc, nil
}

// to31 rewrites OpenAPI 3.0's "nullable: true" (what openapi3gen emits for
// pointers) into 3.1's type lists: {"type": ["string", "null"]}.
func to31(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if s.Nullable {
		s.Nullable = false
		if s.Type != nil && len(*s.Type) > 0 && !s.Type.Includes("null") {
			t := append(openapi3.Types{}, *s.Type...)
			t = append(t, "null")
			s.Type = &t
		}
	}
	for _, p := range s.Properties {
		to31(p, seen)
	}
	to31(s.Items, seen)
	if s.AdditionalProperties.Schema != nil {
		to31(s.AdditionalProperties.Schema, seen)
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, x := range list {
			to31(x, seen)
		}
	}
}

func operationID(method, path string) string {
	parts := []string{strings.ToLower(method)}
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		p = strings.TrimPrefix(p, ":")
		p = strings.ReplaceAll(p, "-", "_")
		parts = append(parts, p)
	}
	return strings.Join(parts, "_")
}

func (s *Server) adminOpenAPI(c fiber.Ctx) error {
	s.adminDoc.once.Do(func() {
		doc, err := BuildAdminOpenAPI(s.Version)
		if err != nil {
			s.adminDoc.err = err
			return
		}
		s.adminDoc.body, s.adminDoc.err = json.Marshal(doc)
	})
	if s.adminDoc.err != nil {
		return s.adminDoc.err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(s.adminDoc.body)
}

package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/registry"
)

// openAPICache keeps the generated document until the set of content types
// (or one of their schemas) changes.
type openAPICache struct {
	mu  sync.Mutex
	key string
	doc []byte
}

func (s *Server) openAPI(c fiber.Ctx) error {
	types := s.Types.List()
	var eps []pluginhost.Endpoint
	if s.Plugins != nil {
		eps = s.Plugins.Endpoints()
	}
	var key strings.Builder
	for _, t := range types {
		key.WriteString(t.Key + ":" + t.Hash + ";")
	}
	for _, e := range eps {
		b, _ := json.Marshal(e.Spec)
		key.WriteString(e.Plugin + ":" + string(b) + ";")
	}
	cache := &s.openapi
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.key != key.String() || cache.doc == nil {
		doc := BuildOpenAPI(types, eps, s.Version)
		b, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("error encoding OpenAPI document: %w", err)
		}
		cache.key, cache.doc = key.String(), b
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.Send(cache.doc)
}

func schemaFromMap(m map[string]any) *openapi3.SchemaRef {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("content type schema does not encode: %v", err)) // contenttypes builds it from plain values
	}
	var sch openapi3.Schema
	if err := json.Unmarshal(b, &sch); err != nil {
		panic(fmt.Sprintf("content type schema does not decode as OpenAPI: %v", err))
	}
	return openapi3.NewSchemaRef("", &sch)
}

func ref(name string) *openapi3.SchemaRef {
	return openapi3.NewSchemaRef("#/components/schemas/"+name, nil)
}

func typeName(key string) string {
	parts := strings.Split(key, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

func problemResponses(codes ...int) map[int]*openapi3.ResponseRef {
	out := map[int]*openapi3.ResponseRef{}
	for _, code := range codes {
		desc := http.StatusText(code)
		out[code] = &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(desc).
			WithContent(openapi3.Content{ProblemContentType: openapi3.NewMediaType().WithSchemaRef(ref("Problem"))})}
	}
	return out
}

func jsonResponse(desc string, sch *openapi3.SchemaRef) *openapi3.ResponseRef {
	return &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(desc).
		WithContent(openapi3.NewContentWithJSONSchemaRef(sch))}
}

func op(id, summary string, tags []string, ok int, okResp *openapi3.ResponseRef, errs ...int) *openapi3.Operation {
	o := openapi3.NewOperation()
	o.OperationID, o.Summary, o.Tags = id, summary, tags
	o.Responses = openapi3.NewResponses()
	o.Responses.Delete("default")
	o.Responses.Set(fmt.Sprint(ok), okResp)
	for code, r := range problemResponses(errs...) {
		o.Responses.Set(fmt.Sprint(code), r)
	}
	return o
}

func queryParam(name, desc string, sch *openapi3.Schema) *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Value: openapi3.NewQueryParameter(name).WithDescription(desc).WithSchema(sch)}
}

func pathParam(name, desc string) *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Value: openapi3.NewPathParameter(name).WithDescription(desc).WithSchema(openapi3.NewStringSchema())}
}

// BuildOpenAPI generates the OpenAPI 3.1 document of the delivery API for
// the registered content types: one pair of paths per type with the type's
// delivery schema, plus shared components.
func BuildOpenAPI(types []*registry.Type, endpoints []pluginhost.Endpoint, version string) *openapi3.T {
	doc := &openapi3.T{
		OpenAPI: "3.1.0",
		Info: &openapi3.Info{Title: "Inkling delivery API", Version: version,
			Description: "Published content for apps. Only live entries are visible. Errors are RFC 9457 problem+json.",
			License:     &openapi3.License{Name: "Proprietary", Identifier: "LicenseRef-Proprietary"}},
		Servers: openapi3.Servers{{URL: "/", Description: "this server"}},
		Paths:   openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{
			"Diagnostic": openapi3.NewSchemaRef("", openapi3.NewObjectSchema().
				WithProperty("severity", openapi3.NewStringSchema().WithEnum("error", "warning")).
				WithProperty("path", &openapi3.Schema{Type: &openapi3.Types{"string"}, Description: "field path, e.g. fields.body[3f2a].value.caption"}).
				WithProperty("code", openapi3.NewStringSchema()).
				WithProperty("summary", openapi3.NewStringSchema()).
				WithProperty("detail", openapi3.NewStringSchema()).
				WithRequired([]string{"severity", "code", "summary"})),
			"Problem": openapi3.NewSchemaRef("", openapi3.NewObjectSchema().
				WithProperty("type", openapi3.NewStringSchema()).
				WithProperty("title", openapi3.NewStringSchema()).
				WithProperty("status", openapi3.NewIntegerSchema()).
				WithProperty("detail", openapi3.NewStringSchema()).
				WithProperty("instance", openapi3.NewStringSchema()).
				WithProperty("code", openapi3.NewStringSchema().WithEnum("malformed", "invalid", "not_found", "conflict", "forbidden",
					"unauthorized", "rate_limited", "too_large", "unavailable", "timeout", "internal")).
				WithProperty("request_id", openapi3.NewStringSchema()).
				WithPropertyRef("diagnostics", openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(nil))).
				WithRequired([]string{"type", "title", "status", "code"})),
		}},
	}
	doc.Components.Schemas["Problem"].Value.Properties["diagnostics"].Value.Items = ref("Diagnostic")
	sort.Slice(types, func(i, j int) bool { return types[i].Key < types[j].Key })
	doc.Tags = openapi3.Tags{{Name: "content", Description: "Published entries"}}
	for _, t := range types {
		name := typeName(t.Key)
		fields := schemaFromMap(t.JSONSchema(contenttypes.SchemaOutput))
		// fields= may leave out any member, and expand= turns a reference
		// id into the referenced entry (or null when it is not published).
		fields.Value.Required = nil
		for _, f := range t.Fields {
			if f.Kind == contenttypes.KindReference && fields.Value.Properties[f.Name] != nil {
				orig := fields.Value.Properties[f.Name]
				fields.Value.Properties[f.Name] = openapi3.NewSchemaRef("", &openapi3.Schema{
					Title: orig.Value.Title, Description: orig.Value.Description,
					AnyOf: openapi3.SchemaRefs{
						openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}, Description: "entry id"}),
						openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"object"}, Description: "the referenced entry, with expand="}),
						openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"null"}, Description: "expanded, but not published"}),
					}})
			}
		}
		item := openapi3.NewObjectSchema().
			WithProperty("id", openapi3.NewStringSchema()).
			WithProperty("type", &openapi3.Schema{Type: &openapi3.Types{"string"}, Const: t.Key}).
			WithProperty("title", openapi3.NewStringSchema()).
			WithProperty("slug", openapi3.NewStringSchema()).
			WithProperty("first_published_at", openapi3.NewDateTimeSchema()).
			WithProperty("published_at", openapi3.NewDateTimeSchema()).
			WithPropertyRef("fields", fields).
			WithRequired([]string{"id", "type", "title", "slug", "first_published_at", "published_at", "fields"})
		if t.IsPage {
			item = item.WithProperty("url_path", openapi3.NewStringSchema()).WithProperty("parent_id", openapi3.NewStringSchema())
		}
		item.Title, item.Description = t.Label, t.Description
		doc.Components.Schemas[name] = openapi3.NewSchemaRef("", item)
		page := openapi3.NewObjectSchema().
			WithPropertyRef("items", openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(nil))).
			WithProperty("next_cursor", &openapi3.Schema{Type: &openapi3.Types{"string", "null"}}).
			WithProperty("limit", openapi3.NewIntegerSchema()).
			WithRequired([]string{"items", "next_cursor", "limit"})
		page.Properties["items"].Value.Items = ref(name)
		doc.Components.Schemas[name+"Page"] = openapi3.NewSchemaRef("", page)

		list := op("list"+name, "List published "+t.Label+" entries", []string{"content"}, 200,
			jsonResponse("A page of entries", ref(name+"Page")), 400, 404, 422)
		list.Description = "Filter with filter[field]=value or filter[field][op]=value (op: eq, ne, lt, lte, gt, gte, in). " +
			"Filterable: " + strings.Join(filterableNames(t), ", ") + ". Sort with sort=field or sort=-field."
		list.Parameters = openapi3.Parameters{
			queryParam("sort", "sort field, - for descending (default -first_published_at)", openapi3.NewStringSchema()),
			queryParam("limit", "page size", openapi3.NewIntegerSchema().WithMin(1).WithMax(100)),
			queryParam("cursor", "next_cursor of the previous page", openapi3.NewStringSchema()),
			queryParam("fields", "comma-separated fields to return", openapi3.NewStringSchema()),
			queryParam("expand", "comma-separated reference fields to expand", openapi3.NewStringSchema()),
			queryParam("q", "full-text search: every word must match; ranked by relevance unless sort is given", openapi3.NewStringSchema()),
		}
		get := op("get"+name, "Get one published "+t.Label, []string{"content"}, 200, jsonResponse("The entry", ref(name)), 400, 404, 409, 422)
		get.Parameters = openapi3.Parameters{pathParam("idOrSlug", "entry id or slug"),
			queryParam("fields", "comma-separated fields to return", openapi3.NewStringSchema()),
			queryParam("expand", "comma-separated reference fields to expand", openapi3.NewStringSchema())}
		doc.Paths.Set("/api/v1/content/"+t.Key, &openapi3.PathItem{Get: list})
		doc.Paths.Set("/api/v1/content/"+t.Key+"/{idOrSlug}", &openapi3.PathItem{Get: get})
	}
	rendition := op("mediaRendition", "A resized or cropped image", []string{"media"}, 200,
		jsonResponse("With redirect=false: the rendition", openapi3.NewSchemaRef("", openapi3.NewObjectSchema().
			WithProperty("url", openapi3.NewStringSchema()).WithProperty("key", openapi3.NewStringSchema()).
			WithProperty("width", openapi3.NewIntegerSchema()).WithProperty("height", openapi3.NewIntegerSchema()).
			WithRequired([]string{"url", "key", "width", "height"}))),
		404, 422)
	rendition.Responses.Set("302", &openapi3.ResponseRef{Value: openapi3.NewResponse().
		WithDescription("Found (the default): Location is the rendition's URL (immutable; the redirect is cached for an hour)")})
	rendition.Description = "Renditions are generated once per size and kept. fit=contain (default) fits the image inside w×h " +
		"keeping its aspect ratio and never upscales; fit=cover fills w×h exactly, cropping around the image's focal point. " +
		"w and h must be among the server's rendition sizes (by default 16, 32, 48, 64, 96, 128, 256, 384, 640, 750, 828, 1080, 1200, " +
		"1920, 2048, 3840; a 422 lists them). Media keys and URLs come from entries' media fields and plugin endpoints."
	rendition.Parameters = openapi3.Parameters{pathParam("key", "media key"),
		queryParam("w", "width in pixels", openapi3.NewIntegerSchema().WithMin(1).WithMax(4000)),
		queryParam("h", "height in pixels", openapi3.NewIntegerSchema().WithMin(1).WithMax(4000)),
		queryParam("fit", "contain (default) or cover", openapi3.NewStringSchema().WithEnum("contain", "cover")),
		queryParam("redirect", "false: answer 200 with the rendition's URL and size instead of redirecting", openapi3.NewBoolSchema())}
	doc.Paths.Set("/api/v1/media/{key}/rendition", &openapi3.PathItem{Get: rendition})
	doc.Tags = append(doc.Tags, &openapi3.Tag{Name: "media", Description: "Images and other media"})
	for _, e := range endpoints {
		addPluginEndpoint(doc, e)
	}
	// The delivery API is public: no credentials (previews carry a token
	// in X-Inkling-Preview or ?preview=).
	doc.Security = openapi3.SecurityRequirements{{}}
	return doc
}

func filterableNames(t *registry.Type) []string {
	out := []string{"id", "slug", "title", "parent", "first_published_at", "published_at"}
	for _, f := range t.IndexedFields() {
		out = append(out, f.Name)
	}
	return out
}

// addPluginEndpoint documents an endpoint a plugin declares under /api/v1.
func addPluginEndpoint(doc *openapi3.T, e pluginhost.Endpoint) {
	spec := e.Spec
	resp := openapi3.NewSchemaRef("", &openapi3.Schema{Description: "JSON"})
	if len(spec.GetResponseSchemaJson()) > 0 {
		var sch openapi3.Schema
		if json.Unmarshal(spec.GetResponseSchemaJson(), &sch) == nil {
			resp = openapi3.NewSchemaRef("", &sch)
		}
	}
	id := "plugin_" + strings.ReplaceAll(e.Plugin, "-", "_") + "_" + strings.NewReplacer("/", "_", "{", "", "}", "").Replace(strings.Trim(spec.GetPath(), "/"))
	o := op(id, spec.GetSummary(), []string{"plugin " + e.Plugin}, 200, jsonResponse("OK", resp), 400, 404, 422, 503)
	o.Description = spec.GetDescription()
	for _, p := range spec.GetParams() {
		sch := openapi3.NewStringSchema()
		if len(p.GetSchemaJson()) > 0 {
			var s openapi3.Schema
			if json.Unmarshal(p.GetSchemaJson(), &s) == nil {
				sch = &s
			}
		}
		var prm *openapi3.Parameter
		if p.GetIn() == "path" {
			prm = openapi3.NewPathParameter(p.GetName())
		} else {
			prm = openapi3.NewQueryParameter(p.GetName()).WithRequired(p.GetRequired())
		}
		prm = prm.WithDescription(p.GetDescription()).WithSchema(sch)
		o.Parameters = append(o.Parameters, &openapi3.ParameterRef{Value: prm})
	}
	doc.Paths.Set("/api/v1"+spec.GetPath(), &openapi3.PathItem{Get: o})
	if !slices.ContainsFunc(doc.Tags, func(t *openapi3.Tag) bool { return t.Name == "plugin "+e.Plugin }) {
		doc.Tags = append(doc.Tags, &openapi3.Tag{Name: "plugin " + e.Plugin, Description: "Endpoints of the " + e.Plugin + " plugin"})
	}
}

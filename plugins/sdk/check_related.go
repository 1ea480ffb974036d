package sdk

import (
	"fmt"
	"regexp"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// identifier is what a related list's query parameters and body keys
// must be (and what a path parameter's name is).
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// relatedList checks ep.Related and returns its spec with the defaults
// filled in (nil when unusable). Type and fields are checked here when the
// type is the plugin's own; the host checks them again against its
// registry (a type of another plugin, or a field changed since) and
// answers a 500 naming the endpoint.
func (c *checker) relatedList(at string, ep *Endpoint, pathParams map[string]bool, types map[string]*contenttypes.ContentType) *pluginv1.RelatedListSpec {
	n := len(c.diags)
	rl := ep.Related
	spec := &pluginv1.RelatedListSpec{
		Type: rl.Type, Field: rl.Field, SeedParam: rl.SeedParam,
		FilterField: rl.FilterField, FilterParam: rl.FilterParam, LimitParam: rl.LimitParam,
		DefaultLimit: int32(rl.DefaultLimit), MaxLimit: int32(rl.MaxLimit), ItemKey: rl.ItemKey, SeedKey: rl.SeedKey,
	}
	if spec.SeedParam == "" && len(pathParams) == 1 {
		for p := range pathParams {
			spec.SeedParam = p
		}
	}
	if spec.FilterParam == "" {
		spec.FilterParam = spec.FilterField
	}
	if spec.LimitParam == "" {
		spec.LimitParam = "limit"
	}
	if spec.MaxLimit == 0 {
		spec.MaxLimit = RelatedMaxLimit
	}
	if spec.DefaultLimit == 0 {
		spec.DefaultLimit = min(RelatedDefaultLimit, spec.MaxLimit)
	}
	if spec.ItemKey == "" {
		spec.ItemKey = "entry"
	}
	if spec.SeedKey == "" {
		spec.SeedKey = "seed_id"
	}

	if spec.Type == "" {
		c.errorf(at+".type", "the content type to rank is missing")
	}
	if spec.Field == "" {
		c.errorf(at+".field", "the tags field to rank by is missing")
	}
	if ct, ok := types[spec.Type]; ok {
		c.relatedFields(at, ct, spec)
	}
	switch {
	case rl.SeedParam == "" && len(pathParams) != 1:
		c.errorf(at+".seed_param", "path %q has %d parameters; name the one holding the seed id", ep.Path, len(pathParams))
	case !pathParams[spec.SeedParam]:
		c.errorf(at+".seed_param", "seed parameter %q does not appear in path %q", spec.SeedParam, ep.Path)
	}
	if rl.FilterParam != "" && rl.FilterField == "" {
		c.errorf(at+".filter_param", "filter parameter %q is set without a filter field", rl.FilterParam)
	}
	for _, q := range []struct{ name, path string }{{spec.FilterParam, ".filter_param"}, {spec.LimitParam, ".limit_param"}} {
		switch {
		case q.name == "":
		case !identifier.MatchString(q.name):
			c.errorf(at+q.path, "query parameter %q is invalid; expected letters, digits and '_'", q.name)
		case pathParams[q.name]:
			c.errorf(at+q.path, "query parameter %q is also a path parameter", q.name)
		}
	}
	if spec.FilterParam != "" && spec.FilterParam == spec.LimitParam {
		c.errorf(at+".filter_param", "the filter and the limit both use query parameter %q", spec.LimitParam)
	}
	if spec.MaxLimit < 1 || spec.MaxLimit > RelatedMaxLimit {
		c.errorf(at+".max_limit", "MaxLimit must be 1 to %d, got %d", RelatedMaxLimit, spec.MaxLimit)
	}
	if spec.DefaultLimit < 1 || spec.DefaultLimit > spec.MaxLimit {
		c.errorf(at+".default_limit", "DefaultLimit must be 1 to MaxLimit (%d), got %d", spec.MaxLimit, spec.DefaultLimit)
	}
	for _, k := range []struct{ key, path string }{{spec.ItemKey, ".item_key"}, {spec.SeedKey, ".seed_key"}} {
		switch {
		case !identifier.MatchString(k.key):
			c.errorf(at+k.path, "key %q is invalid; expected letters, digits and '_', not starting with a digit", k.key)
		case k.key == "items":
			c.errorf(at+k.path, "key \"items\" is the list itself; choose another")
		}
	}
	if spec.ItemKey == spec.SeedKey {
		c.errorf(at+".seed_key", "ItemKey and SeedKey are both %q", spec.SeedKey)
	}
	if len(c.diags) > n {
		return nil
	}
	return spec
}

// relatedFields checks the ranked and filtered fields of the plugin's own
// type ct.
func (c *checker) relatedFields(at string, ct *contenttypes.ContentType, spec *pluginv1.RelatedListSpec) {
	field := func(name string) *contenttypes.Field {
		for i := range ct.Fields {
			if ct.Fields[i].Name == name {
				return &ct.Fields[i]
			}
		}
		return nil
	}
	if spec.Field != "" {
		switch f := field(spec.Field); {
		case f == nil:
			c.errorf(at+".field", "content type %q has no field %q", ct.Key, spec.Field)
		case f.Kind != contenttypes.KindTags || !f.Indexed:
			c.errorf(at+".field", "field %q of %q must be an indexed tags field to rank by (kind %s, indexed %t)", spec.Field, ct.Key, f.Kind, f.Indexed)
		}
	}
	if spec.FilterField != "" {
		switch f := field(spec.FilterField); {
		case f == nil:
			c.errorf(at+".filter_field", "content type %q has no field %q", ct.Key, spec.FilterField)
		case !f.Indexed:
			c.errorf(at+".filter_field", "field %q of %q must be indexed to filter on", spec.FilterField, ct.Key)
		}
	}
}

// relatedParams documents a related list's parameters when the endpoint
// does not.
func relatedParams(spec *pluginv1.RelatedListSpec) []Param {
	ps := []Param{{Name: spec.SeedParam, In: InPath, Required: true, Description: fmt.Sprintf("id of the %s to find related entries for", spec.Type)}}
	if spec.FilterParam != "" {
		ps = append(ps, Param{Name: spec.FilterParam, In: InQuery,
			Description: fmt.Sprintf("comma-separated values of %s to keep (default: all)", spec.FilterField)})
	}
	return append(ps, Param{Name: spec.LimitParam, In: InQuery,
		Description: fmt.Sprintf("how many (default %d, at most %d)", spec.DefaultLimit, spec.MaxLimit),
		Schema:      map[string]any{"type": "integer", "minimum": 1, "maximum": spec.MaxLimit, "default": spec.DefaultLimit}})
}

// relatedSchema is the JSON Schema of a related list's body.
func relatedSchema(spec *pluginv1.RelatedListSpec) map[string]any {
	return map[string]any{
		"type":     "object",
		"required": []any{spec.SeedKey, "items"},
		"properties": map[string]any{
			spec.SeedKey: map[string]any{"type": "string"},
			"items": map[string]any{"type": "array", "items": map[string]any{
				"type":     "object",
				"required": []any{"overlap", spec.ItemKey},
				"properties": map[string]any{
					"overlap":    map[string]any{"type": "integer", "description": "values of " + spec.Field + " shared with the seed"},
					spec.ItemKey: map[string]any{"type": "object", "description": "the entry as /api/v1/content/" + spec.Type + " returns it"},
				},
			}},
		},
	}
}

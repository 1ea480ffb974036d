package cslewis

import (
	"time"

	"github.com/inklingcms/inkling/plugins/sdk"
)

// relatedEndpoint is GET /api/v1/passages/{id}/related: the "dive deeper"
// list, passages sharing the most motifs with the seed, optionally within
// some registers. It is declared, not handled: the host ranks and renders
// it without a round trip to this process (sdk.RelatedList), which more
// than doubled its uncached throughput (docs/cslewis.md).
func relatedEndpoint() sdk.Endpoint {
	return sdk.Endpoint{
		Method:      "GET",
		Path:        "/passages/{id}/related",
		Summary:     "Passages related to a passage",
		Description: "Published passages sharing the most motifs with the given one (most shared first, ties by id), optionally within some registers.",
		Params: []sdk.Param{
			{Name: "id", In: sdk.InPath, Required: true, Description: "the passage id"},
			{Name: "register", Description: "comma-separated registers to keep (default: all)",
				Schema: map[string]any{"type": "string", "example": "devotional,letters"}},
			{Name: "limit", Description: "how many (default 20, at most 50)",
				Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 50}},
		},
		ResponseSchema: map[string]any{
			"type":     "object",
			"required": []any{"passage_id", "items"},
			"properties": map[string]any{
				"passage_id": map[string]any{"type": "string"},
				"items": map[string]any{"type": "array", "items": map[string]any{
					"type":     "object",
					"required": []any{"overlap", "passage"},
					"properties": map[string]any{
						"overlap": map[string]any{"type": "integer", "description": "motifs shared with the seed"},
						"passage": map[string]any{"type": "object", "description": "the passage as /api/v1/content/passage returns it"},
					},
				}},
			},
		},
		CacheMaxAge: 5 * time.Minute,
		Related: &sdk.RelatedList{Type: "passage", Field: "motifs", SeedParam: "id",
			FilterField: "register", FilterParam: "register", LimitParam: "limit", DefaultLimit: 20, MaxLimit: 50,
			ItemKey: "passage", SeedKey: "passage_id"},
	}
}

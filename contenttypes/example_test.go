package contenttypes_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/inklingcms/inkling/contenttypes"
)

func Example() {
	maxServings := 12.0
	recipe := &contenttypes.ContentType{
		Key:   "recipe",
		Label: "Recipe",
		Fields: []contenttypes.Field{
			{Name: "name", Label: "Name", Kind: contenttypes.KindText, Required: true},
			{Name: "servings", Kind: contenttypes.KindInteger, Max: &maxServings},
			{Name: "published", Kind: contenttypes.KindDateTime},
			{Name: "steps", Kind: contenttypes.KindStream, Children: []contenttypes.Field{
				{Name: "text", Kind: contenttypes.KindRichText, Required: true},
				{Name: "photo", Kind: contenttypes.KindMedia, Required: true},
			}},
		},
	}
	if diags := recipe.Validate(); diags.HasError() {
		fmt.Println(diags)
		return
	}

	// Deterministic ids for the example; by default Prepare uses UUIDs.
	n := 0
	opts := &contenttypes.PrepareOptions{NewID: func() string { n++; return "s" + strconv.Itoa(n) }}

	values, diags := recipe.Prepare(json.RawMessage(`{
		"name": "Pancakes",
		"servings": 4,
		"published": "2024-05-01T09:30:00+02:00",
		"steps": [
			{"type": "text", "value": "Mix *everything*."},
			{"type": "photo", "id": "p1", "value": "media/batter.jpg"}
		]
	}`), opts)
	fmt.Println("errors:", diags.HasError())
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(values)

	_, diags = recipe.Prepare(json.RawMessage(`{"servings": 40, "steps": [{"type": "video"}], "colour": "red"}`), opts)
	for _, d := range diags {
		fmt.Printf("%s: %s (%s)\n", d.Path, d.Summary, d.Code)
	}
	// Output:
	// errors: false
	// {
	//   "name": "Pancakes",
	//   "published": "2024-05-01T07:30:00Z",
	//   "servings": 4,
	//   "steps": [
	//     {
	//       "id": "s1",
	//       "type": "text",
	//       "value": "Mix *everything*."
	//     },
	//     {
	//       "id": "p1",
	//       "type": "photo",
	//       "value": "media/batter.jpg"
	//     }
	//   ]
	// }
	// fields.colour: unknown field "colour" (unknown_field)
	// fields.name: "name" is required (required)
	// fields.servings: expected a number of at most 12, got 40 (out_of_range)
	// fields.steps[0].type: unknown block type "video"; expected one of "text", "photo" (unknown_block_type)
}

func ExampleContentType_Render() {
	article := &contenttypes.ContentType{Key: "note", Label: "Note", Fields: []contenttypes.Field{
		{Name: "body", Kind: contenttypes.KindRichText},
	}}
	values, _ := article.Prepare(json.RawMessage(`{"body": "Hi <script>alert(1)</script> [x](javascript:alert(1))"}`), nil)
	out := article.Render(values, contenttypes.NewRenderer())
	// The tags are dropped and the link loses its href; the text remains.
	fmt.Print(out["body"].(map[string]any)["html"])
	// Output:
	// <p>Hi alert(1) x</p>
}

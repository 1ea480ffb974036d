// Command gen writes the delivery API's OpenAPI document for the fixture
// content types of the generated Go client (see ../doc.go).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/inklingcms/inkling/api/deliveryclient/fixture"
)

func main() {
	b, err := json.MarshalIndent(fixture.Document(), "", "  ")
	if err == nil {
		err = os.WriteFile("openapi.json", append(b, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

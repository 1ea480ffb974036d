package cslewis

import (
	"encoding/json"
	"fmt"
)

// decodeNumber reads an integer value as stored (json.Number or float64).
func decodeNumber(v any, out *int64) error {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		*out = i
		return err
	case float64:
		*out = int64(n)
		return nil
	}
	return fmt.Errorf("not a number: %T", v)
}

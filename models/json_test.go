package models

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// A hook body decoded onto a stored spec (PATCH) replaces each JSON column
// it gives whole, keeps those it leaves out or gives as null, and decodes
// them as strictly as the API does.
func TestJSONColumnsDecodeWhole(t *testing.T) {
	spec := HookSpec{Headers: JSON[map[string]string]{V: map[string]string{"X-Old": "1"}},
		Options: JSON[Options]{V: Options{ChunkSize: 5}}, Properties: JSON[map[string]any]{err: errors.New("unreadable")}}
	if err := json.Unmarshal([]byte(`{"headers":{"X-New":"2"},"options":null,"properties":{"big":12345678901234567890}}`), &spec); err != nil {
		t.Fatal(err)
	}
	if len(spec.Headers.V) != 1 || spec.Headers.V["X-New"] != "2" {
		t.Errorf("headers = %v, want only X-New: a given map replaces the stored one", spec.Headers.V)
	}
	if spec.Options.V.ChunkSize != 5 {
		t.Errorf("options = %+v, want the stored ones kept: null is as not given", spec.Options.V)
	}
	if spec.Properties.Err() != nil || spec.Properties.V["big"] != json.Number("12345678901234567890") {
		t.Errorf("properties = %#v (err %v), want the exact number and the unreadable value replaced", spec.Properties.V, spec.Properties.Err())
	}
	err := json.Unmarshal([]byte(`{"options":{"chunk_sise":1}}`), &spec)
	if err == nil || !strings.Contains(err.Error(), `unknown field "chunk_sise"`) {
		t.Errorf("an unknown option = %v, want it refused", err)
	}
}

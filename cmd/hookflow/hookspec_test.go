package main

import (
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/api/pipeliner"
	"github.com/hookflow/hookflow/api/superoffice"
	"github.com/hookflow/hookflow/models"
	"sigs.k8s.io/yaml"
)

// Every field of models.HookSpec, what a hook's owner sets, is known
// everywhere a hook is shown or set: the OpenAPI document's hook body and
// answer, the vendor APIs' mappings (a carrier field, or declared absent)
// and the tables of docs/vendor-apis.md, and the CLI (hooks get shows it;
// hooks create has a flag for it or takes it from --file). A new field fails
// here until each place says what becomes of it (docs/architecture.md,
// "Adding a hook field").
func TestHookSpecIsMappedEverywhere(t *testing.T) {
	spec := specFields(t)
	doc := openapiDoc(t)
	schema := func(path ...string) map[string]any {
		var v any = doc
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v.(map[string]any)
	}
	hookRequest := schema("components", "schemas", "HookRequest", "properties")
	hook := schema("components", "schemas", "Hook")
	soIn := schema("components", "schemas", "SuperOfficeWebhookIn", "properties")
	soOut := schema("components", "schemas", "SuperOfficeWebhook", "properties")
	plOut := schema("components", "schemas", "PipelinerWebhook", "properties")
	plIn := schema("paths", "/api/v100/rest/spaces/{space}/entities/Webhooks", "post", "requestBody", "content",
		"application/json", "schema", "properties")
	soDocs, plDocs := vendorDocFields(t, "## SuperOffice"), vendorDocFields(t, "## Pipeliner")
	shown := map[string]bool{}
	for _, f := range hookFields {
		shown[f[1]] = true
	}
	for _, f := range spec {
		if _, ok := hookRequest[f]; !ok {
			t.Errorf("%s: api/openapi.yaml HookRequest does not take it", f)
		}
		if _, ok := hook["properties"].(map[string]any)[f]; !ok || !slices.Contains(hook["required"].([]any), any(f)) {
			t.Errorf("%s: api/openapi.yaml Hook does not answer it (properties and required)", f)
		}
		for _, v := range []struct {
			name, docs string
			fields     map[string]string
			schemas    []map[string]any
			documented map[string]bool
		}{
			{"superoffice", "SuperOffice", superoffice.Fields, []map[string]any{soIn, soOut}, soDocs},
			{"pipeliner", "Pipeliner", pipeliner.Fields, []map[string]any{plIn, plOut}, plDocs},
		} {
			carrier, ok := v.fields[f]
			if !ok {
				t.Errorf("%s: api/%s Fields neither maps it nor declares it absent (\"\")", f, v.name)
			}
			for _, s := range v.schemas {
				if _, ok := s[carrier]; carrier != "" && !ok {
					t.Errorf("%s: api/%s maps it to %s, which api/openapi.yaml does not document", f, v.name, carrier)
				}
			}
			if !v.documented[f] {
				t.Errorf("%s: docs/vendor-apis.md's %s table has no row saying what becomes of it", f, v.docs)
			}
		}
		if !shown[f] {
			t.Errorf("%s: hookflow hooks get does not show it (hookFields)", f)
		}
		if !slices.Contains(slices.Collect(maps.Values(hookFlags)), f) && !slices.Contains(hookFileFields, f) && f != "headers" { // --header
			t.Errorf("%s: hookflow hooks create has no flag for it and does not list it as set by --file (hookFlags, hookFileFields)", f)
		}
	}
}

// specFields are the JSON names of models.HookSpec's fields.
func specFields(t *testing.T) []string {
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[models.HookSpec]()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			t.Fatalf("models.HookSpec.%s has no json name", f.Name)
		}
		names = append(names, name)
	}
	return names
}

func openapiDoc(t *testing.T) map[string]any {
	y, err := os.ReadFile("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(y, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// vendorDocFields lists the hook fields the mapping tables of a section of
// docs/vendor-apis.md name in their "hook field" column (the second).
func vendorDocFields(t *testing.T, heading string) map[string]bool {
	b, err := os.ReadFile("../../docs/vendor-apis.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+heading)
	if !ok {
		t.Fatalf("docs/vendor-apis.md has no section %q", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	out := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(line, "|") {
			continue
		}
		for _, m := range codeSpan.FindAllStringSubmatch(cells[2], -1) {
			out[m[1]] = true
		}
	}
	return out
}

var codeSpan = regexp.MustCompile("`([a-z_]+)`")

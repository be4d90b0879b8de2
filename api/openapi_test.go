package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/openapitest"
	"github.com/hookflow/hookflow/internal/payload"
	"sigs.k8s.io/yaml"
)

// checked wraps an API handler so every exchange of the test is checked
// against the OpenAPI document the handler serves.
func checked(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	return openapitest.New(t, rec.Body.Bytes()).Handler(h)
}

// Every route the router serves is documented, and every documented
// operation is served. A failure here names what to add to api/openapi.yaml.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	h := newHarness(t)
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	documented := openapitest.New(t, rec.Body.Bytes()).Operations()
	var served []string
	var catchAll []gin.RouteInfo
	for _, r := range h.engine.Routes() {
		// OpenAPI 3.0 has no field for CONNECT, which Gin's Any serves too
		// (a bin captures it); the document says so in x-bin-capture.
		if r.Method == http.MethodConnect {
			continue
		}
		served = append(served, openapitest.Route(r.Method, r.Path))
		if strings.Contains(r.Path, "*") {
			catchAll = append(catchAll, r)
		}
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but not documented in api/openapi.yaml", r)
		}
	}
	for _, op := range documented {
		// A catch-all route (/bins/:id/*rest) serves the paths the
		// document lists below it (/bins/{id}/view).
		if !slices.Contains(served, op) && !slices.ContainsFunc(catchAll, func(r gin.RouteInfo) bool { return covers(r, op) }) {
			t.Errorf("%s is documented in api/openapi.yaml but not served", op)
		}
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct{ Title string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.OpenAPI != "3.0.3" || doc.Info.Title != "hookflow" {
		t.Errorf("served document = %+v, %v", doc, err)
	}
}

// covers tells whether the catch-all route r serves the documented operation
// op ("METHOD /path", parameters written {}).
func covers(r gin.RouteInfo, op string) bool {
	method, path, _ := strings.Cut(op, " ")
	if method != r.Method {
		return false
	}
	want, got := strings.Split(r.Path, "/"), strings.Split(path, "/")
	for i, seg := range want {
		switch {
		case strings.HasPrefix(seg, "*"):
			return len(got) > i
		case i >= len(got):
			return false
		case strings.HasPrefix(seg, ":"), seg == got[i]:
		default:
			return false
		}
	}
	return len(got) == len(want)
}

// The document's enums of wire formats and signature schemes are the format
// registry's: a new format fails here until api/openapi.yaml lists it.
func TestOpenAPIEnumsFollowTheFormatRegistry(t *testing.T) {
	y, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				Format     struct{ Enum []string }
				BinRequest struct {
					Properties struct {
						Signature struct {
							Properties struct{ Scheme struct{ Enum []string } }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Components.Schemas
	if got, want := s.Format.Enum, payload.Formats.Names(); !slices.Equal(got, want) {
		t.Errorf("api/openapi.yaml Format enum = %q; want the registry's %q", got, want)
	}
	if got, want := s.BinRequest.Properties.Signature.Properties.Scheme.Enum, payload.Formats.Schemes(); !slices.Equal(got, want) {
		t.Errorf("api/openapi.yaml BinRequest signature scheme enum = %q; want the registry's %q", got, want)
	}
}

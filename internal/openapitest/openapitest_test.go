package openapitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/internal/openapitest"
)

const doc = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
    get:
      responses:
        "200":
          description: a thing
          content:
            application/json:
              schema:
                type: object
                additionalProperties: false
                required: [id]
                properties: {id: {type: integer}}
    put:
      requestBody:
        content:
          application/json:
            schema: {type: object, additionalProperties: false, properties: {name: {type: string}}}
      responses:
        "204": {description: saved}
`

// recorder is a testing.TB that keeps what the checker reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Errorf(f string, args ...any) { r.errs = append(r.errs, fmt.Sprintf(f, args...)) }

func TestCheckerReportsWhatTheDocumentDoesNotAllow(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		status                   int
		answer                   string
		want                     string // in the report; "" = no report
	}{
		{"documented", "GET", "/things/1", "", 200, `{"id":1}`, ""},
		{"undocumented field", "GET", "/things/1", "", 200, `{"id":1,"secret":"x"}`, "secret"},
		{"wrong type", "GET", "/things/1", "", 200, `{"id":"1"}`, "/id"},
		{"undocumented status", "GET", "/things/1", "", 418, `{}`, "status is not supported"},
		{"undocumented route", "GET", "/other", "", 200, `{}`, "no such operation"},
		{"unknown path answered 404", "GET", "/other", "", 404, `{}`, ""},
		{"undocumented method", "DELETE", "/things/1", "", 204, ``, "no such operation"},
		{"accepted request the document rejects", "PUT", "/things/1", `{"nmae":"x"}`, 204, ``, "rejects the request"},
		{"rejected request is not checked", "PUT", "/things/1", `{"nmae":"x"}`, 404, ``, "status is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.answer)
			}))
			defer srv.Close()
			client := &http.Client{Transport: openapitest.New(rec, []byte(doc)).Transport(nil)}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != tt.answer {
				t.Errorf("the caller read %q, want %q", b, tt.answer)
			}
			got := strings.Join(rec.errs, "\n")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("report = %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestOperationsAndRoutesCompare(t *testing.T) {
	ops := openapitest.New(t, []byte(doc)).Operations()
	want := []string{"GET /things/{}", "PUT /things/{}"}
	if !slices.Equal(ops, want) {
		t.Errorf("Operations = %v, want %v", ops, want)
	}
	if r := openapitest.Route("get", "/things/:id"); r != want[0] {
		t.Errorf("Route(gin path) = %q", r)
	}
}

// A path parameter marked x-multi-segment takes the rest of the path, as a
// catch-all route does; the document itself keeps OpenAPI's {name}.
func TestMultiSegmentParameter(t *testing.T) {
	const doc = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /files/{path}:
    parameters:
      - {name: path, in: path, required: true, schema: {type: string}, x-multi-segment: true}
    get:
      responses:
        "200":
          description: a page
          content:
            text/html:
              schema: {type: string}
  /files/{path}/raw:
    parameters:
      - {name: path, in: path, required: true, schema: {type: string}}
    get:
      responses:
        "204": {description: one segment only}
`
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/files/a", 200, ""},
		{"/files/a/b/c", 200, ""},
		{"/files/a/raw", 204, ""},
		{"/files/a/b/raw", 204, "status is not supported"}, // the literal path has no multi-segment parameter
		{"/other/a/b", 200, "no such operation"},
	} {
		rec := &recorder{TB: t}
		c := openapitest.New(rec, []byte(doc))
		header := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
		c.Check(httptest.NewRequest("GET", tt.path, nil), nil, tt.status, header, []byte("<!doctype html>"))
		got := strings.Join(rec.errs, "\n")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("GET %s %d: report = %q, want one containing %q", tt.path, tt.status, got, tt.want)
		}
	}
	if ops := openapitest.New(t, []byte(doc)).Operations(); !slices.Equal(ops, []string{"GET /files/{}", "GET /files/{}/raw"}) {
		t.Errorf("Operations = %v", ops)
	}
}

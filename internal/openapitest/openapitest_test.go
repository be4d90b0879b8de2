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

// Package openapitest keeps an OpenAPI 3 document true in tests: it checks
// every HTTP exchange of a test suite against the document, with kin-openapi.
//
// Every answer must belong to a documented operation and match one of its
// documented statuses, headers and body schemas. A request the server
// accepted (2xx) must also match the operation's documented parameters and
// body, so the document is neither looser nor stricter than the server.
// Paths the document does not know may only be answered 404 or 405: anything
// else is a route someone forgot to document.
//
// A path parameter marked `x-multi-segment: true` matches the rest of the
// path, slashes included (a catch-all route such as Gin's *rest), which
// OpenAPI's templates cannot say; the document keeps the standard {name}.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Pages and their assets are text; kin-openapi decodes only text/plain of
// the text types, so the others are read the same way.
func init() {
	for _, ct := range []string{"text/html", "text/css", "text/javascript", "application/javascript"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// Checker checks exchanges against one document; it is safe for concurrent use.
type Checker struct {
	t      testing.TB
	spec   *openapi3.T
	router routers.Router
}

type loaded struct {
	spec   *openapi3.T
	router routers.Router
	err    error
}

// cache: suites build a checker per test, and loading a document costs more than a test's requests.
var cache sync.Map // document text → *loaded

// New returns a Checker for the OpenAPI document doc (JSON or YAML). A
// document that does not load or is not valid OpenAPI fails the test.
func New(t testing.TB, doc []byte) *Checker {
	t.Helper()
	v, ok := cache.Load(string(doc))
	if !ok {
		v, _ = cache.LoadOrStore(string(doc), load(doc))
	}
	l := v.(*loaded)
	if l.err != nil {
		t.Fatalf("openapi: %v", l.err)
	}
	return &Checker{t: t, spec: l.spec, router: l.router}
}

func load(doc []byte) *loaded {
	spec, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		return &loaded{err: fmt.Errorf("load document: %w", err)}
	}
	if err := spec.Validate(context.Background()); err != nil {
		return &loaded{err: fmt.Errorf("the document is not valid OpenAPI: %w", err)}
	}
	router, err := gorillamux.NewRouter(routing(spec))
	if err != nil {
		return &loaded{err: fmt.Errorf("route the document: %w", err)}
	}
	return &loaded{spec: spec, router: router}
}

// MultiSegment is the extension that marks a path parameter as matching the
// rest of the path, slashes included.
const MultiSegment = "x-multi-segment"

// routing returns spec for the router: spec itself, or a copy whose paths
// write each multi-segment parameter in gorilla/mux's syntax, {name:.*}.
// The copy shares every path item, so operations are validated as written.
func routing(spec *openapi3.T) *openapi3.T {
	paths := openapi3.NewPaths()
	changed := false
	for path, item := range spec.Paths.Map() {
		routed := path
		for _, name := range multiSegmentParams(item) {
			routed = strings.ReplaceAll(routed, "{"+name+"}", "{"+name+":.*}")
		}
		changed = changed || routed != path
		paths.Set(routed, item)
	}
	if !changed {
		return spec
	}
	routed := *spec
	routed.Paths = paths
	return &routed
}

// multiSegmentParams names the path parameters of item, its own or one of
// its operations', that are marked MultiSegment.
func multiSegmentParams(item *openapi3.PathItem) []string {
	var names []string
	add := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p == nil || p.Value == nil || p.Value.In != openapi3.ParameterInPath {
				continue
			}
			if on, _ := p.Value.Extensions[MultiSegment].(bool); on {
				names = append(names, p.Value.Name)
			}
		}
	}
	add(item.Parameters)
	for _, op := range item.Operations() {
		add(op.Parameters)
	}
	return names
}

// Handler returns next with every exchange checked.
func (c *Checker) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		c.Check(r, body, rec.Code, rec.Header(), rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// Transport returns next (http.DefaultTransport when nil) with every exchange checked.
func (c *Checker) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper{c, next}
}

type roundTripper struct {
	c    *Checker
	next http.RoundTripper
}

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	body := readAll(req.Body)
	req = req.Clone(req.Context()) // a RoundTripper must not change the caller's request
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	answer := readAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	rt.c.Check(req, body, resp.StatusCode, resp.Header, answer)
	return resp, nil
}

func readAll(r io.ReadCloser) []byte {
	if r == nil {
		return nil
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	return b
}

// Check checks one exchange: req with its body, and the answer.
func (c *Checker) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) {
	c.t.Helper()
	what := fmt.Sprintf("%s %s answered %d", req.Method, req.URL.Path, status)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			c.t.Errorf("openapi: %s, but the document has no such operation: document it", what)
		}
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: withBody(req, reqBody), PathParams: params, Route: route, Options: opts}
	if status >= 200 && status < 300 {
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			c.t.Errorf("openapi: %s, but the document rejects the request %s: %v", what, short(reqBody), err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		c.t.Errorf("openapi: %s, which the document does not allow: %v\nbody: %s", what, err, short(body))
	}
}

func withBody(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return r
}

func short(b []byte) string {
	const n = 600
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// params matches a path parameter in OpenAPI ({id}, {rest:.*}) or Gin (:id, *rest) syntax.
var params = regexp.MustCompile(`\{[^}]*\}|[:*][^/]+`)

// Operations lists the document's operations as "METHOD /path", parameters
// written {}, sorted: the form Route gives a router's routes, to compare.
func (c *Checker) Operations() []string {
	var ops []string
	for path, item := range c.spec.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, Route(method, path))
		}
	}
	sort.Strings(ops)
	return ops
}

// Route writes a route of a router or the document as Operations does.
func Route(method, path string) string {
	return strings.ToUpper(method) + " " + params.ReplaceAllString(path, "{}")
}

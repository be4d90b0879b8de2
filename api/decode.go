package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// MaxJSONBody bounds every JSON body but triggers, which have their own limit.
const MaxJSONBody = 1 << 20

// maxDepth bounds nesting, so a hostile body cannot make encoding/json recurse deeply.
const maxDepth = 64

// readBody reads the request body up to limit bytes; past it the answer is 413.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, tooLarge(fmt.Sprintf("request body is larger than %d bytes", limit))
	}
	if err != nil {
		return nil, NewError(http.StatusBadRequest, "bad_request", "could not read the request body")
	}
	return b, nil
}

// DecodeJSON reads a JSON body of at most MaxJSONBody bytes into v strictly:
// unknown fields are rejected so typos surface, numbers stay exact, and
// every problem names its field.
func DecodeJSON(c *gin.Context, v any) error { return decodeJSON(c, MaxJSONBody, v) }

// DecodeOptionalJSON is DecodeJSON for a body that may be left out: an
// empty body leaves v as it is.
func DecodeOptionalJSON(c *gin.Context, v any) error {
	b, err := readBody(c, MaxJSONBody)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	return unmarshalStrict(b, v)
}

func decodeJSON(c *gin.Context, limit int64, v any) error {
	b, err := readBody(c, limit)
	if err != nil {
		return err
	}
	return unmarshalStrict(b, v)
}

func unmarshalStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return malformed("", "request body is empty; send a JSON object")
	}
	if !utf8.Valid(b) {
		return malformed("", "request body is not valid UTF-8")
	}
	if depth(b) > maxDepth {
		return malformed("", fmt.Sprintf("JSON is nested deeper than %d levels", maxDepth))
	}
	if err := checkNames(b, v); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return jsonError(inlinedNames(err, v))
	}
	if d.More() {
		return malformed("", "request body has data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into a 400 naming the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return malformed("", fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error()))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return malformed(field, fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return malformed(name, "is not a known field")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed("", "malformed JSON: the body ends too early")
	default:
		return malformed("", "malformed JSON: "+err.Error())
	}
}

// inlinedNames drops from a type error's field path the Go name of a
// struct the body embeds (hookBody's models.HookSpec): encoding/json inlines
// its fields, as the API names them, yet writes the struct's name in the
// path ("HookSpec.events").
func inlinedNames(err error, v any) error {
	var typ *json.UnmarshalTypeError
	t := reflect.TypeOf(v).Elem()
	if !errors.As(err, &typ) || t.Kind() != reflect.Struct {
		return err
	}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous && f.Tag.Get("json") == "" {
			typ.Field = strings.TrimPrefix(typ.Field, f.Name+".")
		}
	}
	return typ
}

// pointerField spells a JSON pointer (/options/entity/Contact) as the API
// names fields: options.entity.Contact.
func pointerField(p string) string {
	var parts []string
	for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		parts = append(parts, strings.NewReplacer("~1", "/", "~0", "~").Replace(seg))
	}
	return strings.Join(parts, ".")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "map", "struct", "ptr":
		return "an object"
	}
	return k
}

func malformed(field, problem string) error {
	if field == "" {
		return NewError(http.StatusBadRequest, "malformed_json", problem)
	}
	return InvalidField(field, problem)
}

// depth returns how deeply arrays and objects nest in b, ignoring brackets in strings.
func depth(b []byte) int {
	d, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			d++
			deepest = max(deepest, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return deepest
}

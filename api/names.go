package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// AnyCaseNames is implemented by the body types of an API whose original
// matches member names in any case (SuperOffice's, an ASP.NET service:
// camelCase clients work there). Every other body must spell each member
// exactly as the API documents it.
type AnyCaseNames interface{ JSONNamesInAnyCase() }

// checkNames checks the member names of body against the fields of v's
// type before encoding/json decodes it, refusing:
//   - a name given twice in one object: encoding/json keeps the last
//     silently, so {"target_url": a, "target_url": b} would mean b to
//     hookflow and maybe a to a proxy or log reader in between (RFC 8259
//     leaves it undefined; I-JSON, RFC 7493, forbids it);
//   - two names of one field in different cases ({"target_url": a,
//     "TARGET_URL": b}), the same trap, as encoding/json matches names
//     ignoring case;
//   - a name that matches a field only up to case, naming the field's
//     spelling, unless the type is AnyCaseNames.
//
// Malformed JSON is left to encoding/json, which words its errors.
func checkNames(body []byte, v any) error {
	d := jsontext.NewDecoder(bytes.NewReader(body))
	err := walkNames(d, reflect.TypeOf(v), "")
	var refused *httpError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &refused):
		return refused
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return malformed(pointerField(string(syn.JSONPointer)), "is given twice; give each field once")
	}
	return nil // malformed: encoding/json says how
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	anyCaseType     = reflect.TypeFor[AnyCaseNames]()
)

// walkNames reads the next value of d, checking each object's member
// names against t (nil: anything goes below here). at names the value as
// validation errors do: options.entity.Contact, events[0].
func walkNames(d *jsontext.Decoder, t reflect.Type, at string) error {
	t = decodedType(t)
	if !namesFields(t) { // a record, a list of strings: nothing below is a field's name
		return d.SkipValue()
	}
	switch d.PeekKind() {
	case '{':
		if _, err := d.ReadToken(); err != nil {
			return err
		}
		seen := map[string]string{} // field's name → the member that named it
		for d.PeekKind() != '}' {
			tok, err := d.ReadToken()
			if err != nil {
				return err
			}
			name := tok.String()
			field, next := member(t, name)
			if field != "" {
				if first, ok := seen[field]; ok {
					return malformed(join(at, name), "names the same field as "+strconv.Quote(first)+"; give each field once")
				}
				seen[field] = name
				if field != name && !reflect.PointerTo(t).Implements(anyCaseType) && !t.Implements(anyCaseType) {
					return malformed(join(at, name), "is not a known field; it is spelled "+strconv.Quote(field))
				}
			}
			if err := walkNames(d, next, join(at, name)); err != nil {
				return err
			}
		}
		_, err := d.ReadToken()
		return err
	case '[':
		if _, err := d.ReadToken(); err != nil {
			return err
		}
		var elem reflect.Type
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			elem = t.Elem()
		}
		for i := 0; d.PeekKind() != ']'; i++ {
			if err := walkNames(d, elem, at+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err := d.ReadToken()
		return err
	default:
		return d.SkipValue()
	}
}

// decodedType is the type encoding/json decodes into for t: pointers
// followed, models.JSON[T] (a struct whose V its UnmarshalJSON fills) seen
// through. Another type that decodes itself (time.Time) is not walked: nil.
func decodedType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || !reflect.PointerTo(t).Implements(unmarshalerType) {
		return t
	}
	if t.Kind() == reflect.Struct {
		if f, ok := t.FieldByName("V"); ok && t.NumField() <= 2 {
			return decodedType(f.Type)
		}
	}
	return nil
}

var namesCache sync.Map // reflect.Type → bool

// namesFields reports whether a value of type t (decodedType's) holds a
// struct's field names, itself or below: not so a map of anything to
// data, as a record is, nor a list of such.
func namesFields(t reflect.Type) bool {
	if t == nil {
		return false
	}
	if v, ok := namesCache.Load(t); ok {
		return v.(bool)
	}
	namesCache.Store(t, true) // a type that holds itself: assume it does meanwhile
	var names bool
	switch t.Kind() {
	case reflect.Struct:
		names = true
	case reflect.Map, reflect.Slice, reflect.Array:
		names = namesFields(decodedType(t.Elem()))
	}
	namesCache.Store(t, names)
	return names
}

// member is the field of t that name selects, as encoding/json matches it
// (exactly, else ignoring case; in name order, so two fields that differ
// only in case give the same answer each time), and the type below it. A
// map's keys are data, not fields: "".
func member(t reflect.Type, name string) (field string, next reflect.Type) {
	switch t.Kind() {
	case reflect.Map:
		return "", t.Elem()
	case reflect.Struct:
		fields := jsonFields(t)
		if ft, ok := fields[name]; ok {
			return name, ft
		}
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			if strings.EqualFold(f, name) {
				return f, fields[f]
			}
		}
	}
	return "", nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the JSON names of t's fields, those of structs it embeds
// without a name included, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case !f.IsExported() || name == "-" || !inlinedPath(t, f.Index):
		case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct: // inlined: VisibleFields lists its fields
		case name != "":
			m[name] = f.Type
		default:
			m[f.Name] = f.Type
		}
	}
	fieldCache.Store(t, m)
	return m
}

// inlinedPath reports whether every struct on the way to the field at
// index is embedded without a name, so encoding/json inlines the field.
func inlinedPath(t reflect.Type, index []int) bool {
	for k := 1; k < len(index); k++ {
		if f := t.FieldByIndex(index[:k]); !f.Anonymous || f.Tag.Get("json") != "" {
			return false
		}
	}
	return true
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

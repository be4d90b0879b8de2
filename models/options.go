package models

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Options are Pipeliner's webhook options (docs/spec.md §5): which records a hook
// wants and how fast it wants them.
type Options struct {
	Entity map[string]EntityOptions `json:"entity,omitempty"`
	// RelatedEntity shapes the secondary entity of an event that has one
	// (Account.DocumentLinked: the document), which the CRM sends in each
	// record's "related_entity" object.
	RelatedEntity       *EntityOptions `json:"related_entity,omitempty"`
	CustomEntityAPIName []string       `json:"custom_entity_api_name,omitempty"`
	SkipKeys            []string       `json:"skip_keys,omitempty"`
	ChunkSize           int            `json:"chunk_size,omitempty"`
	ChunkDelay          int            `json:"chunk_delay,omitempty"` // seconds between chunks
}

// EntityOptions filter and trim the records of one entity.
type EntityOptions struct {
	// Expand names the related records the receiver wants inside each
	// record. hookflow never loads data: they arrive as the CRM's trigger
	// nests them, and load-only must keep them (docs/filters.md).
	Expand        []string            `json:"expand,omitempty"`
	Filter        map[string]any      `json:"filter,omitempty"`
	FilterOp      map[string]FilterOp `json:"filter-op,omitempty"`
	OnFieldChange []string            `json:"on-field-change,omitempty"`
	LoadOnly      []string            `json:"load-only,omitempty"`
}

// RelatedEntityKey is the record field in which the CRM sends an event's
// secondary related entity (the document of Account.DocumentLinked).
const RelatedEntityKey = "related_entity"

// FilterOp compares a record field with a filter value.
type FilterOp string

// Filter operators. A list of values means any-of; for ne, none-of.
const (
	OpEq       FilterOp = "eq"
	OpNe       FilterOp = "ne"
	OpLt       FilterOp = "lt"
	OpLte      FilterOp = "lte"
	OpGt       FilterOp = "gt"
	OpGte      FilterOp = "gte"
	OpLike     FilterOp = "like"
	OpContains FilterOp = "contains"
)

// FilterOps lists every operator.
var FilterOps = []FilterOp{OpEq, OpNe, OpLt, OpLte, OpGt, OpGte, OpLike, OpContains}

// Chunking defaults and bounds (docs/spec.md §5).
const (
	DefaultChunkSize = 100
	MaxChunkSize     = 100
	MaxChunkDelay    = 86400
)

// MaxOptionPaths bounds the fields of one filter, on-field-change or load-only
// list: far more than any CRM entity has, and small enough that options never
// slow down the fan-out of a 10,000-record event.
const MaxOptionPaths = 1000

// MaxLikePattern bounds a like pattern in bytes, and so the work of
// matching it: a LIKE pattern of a CRM filter ("%@example.com") is short.
const MaxLikePattern = 256

// MaxFilterValues bounds the values of one filter field's any-of list.
const MaxFilterValues = 1000

// EffectiveChunkSize is the chunk size with the default applied.
func (o Options) EffectiveChunkSize() int {
	if o.ChunkSize == 0 {
		return DefaultChunkSize
	}
	return o.ChunkSize
}

// A dotted path into a record: "email1", "primary_account.name".
var fieldPath = regexp.MustCompile(`^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$`)

// ValidPath reports whether s is a dotted field path.
func ValidPath(s string) bool { return len(s) <= 255 && fieldPath.MatchString(s) }

func (o Options) validate(v *ValidationError) {
	if o.ChunkSize < 0 || o.ChunkSize > MaxChunkSize {
		v.Add("options.chunk_size", "must be between 1 and 100 (0 or absent: 100)")
	}
	if o.ChunkDelay < 0 || o.ChunkDelay > MaxChunkDelay {
		v.Add("options.chunk_delay", "must be between 0 and 86400 seconds")
	}
	for i, k := range o.SkipKeys {
		if k == "" || len(k) > 255 {
			v.Add("options.skip_keys["+strconv.Itoa(i)+"]", "must be 1 to 255 characters")
		}
	}
	for i, name := range o.CustomEntityAPIName {
		if !namePart.MatchString(name) {
			v.Add("options.custom_entity_api_name["+strconv.Itoa(i)+"]", "is not an entity API name")
		}
	}
	// Entities match case-insensitively, so "Contact" and "contact" would
	// both claim Contact events; refuse the second rather than pick one.
	seen := map[string]string{}
	for _, entity := range slices.Sorted(maps.Keys(o.Entity)) {
		field := "options.entity." + entity
		folded := strings.ToLower(entity)
		switch first, dup := seen[folded]; {
		case !namePart.MatchString(entity):
			v.Add(field, "is not an entity name such as Contact or a custom entity's API name")
		case dup:
			v.Add(field, "repeats "+first+" (entity names are case-insensitive)")
		default:
			seen[folded] = entity
		}
		o.Entity[entity].validate(v, field)
	}
	if r := o.RelatedEntity; r != nil {
		// Records are matched on the event's own entity; the related entity
		// rides along in them and can only be shaped.
		for _, opt := range []struct {
			name string
			set  bool
		}{{"filter", len(r.Filter) > 0}, {"filter-op", len(r.FilterOp) > 0}, {"on-field-change", len(r.OnFieldChange) > 0}} {
			if opt.set {
				v.Add("options.related_entity."+opt.name, "cannot select records by their related entity; use options.entity.<Entity>."+opt.name+
					" with a "+RelatedEntityKey+".<field> path")
			}
		}
		r.validate(v, "options.related_entity")
	}
}

func (e EntityOptions) validate(v *ValidationError, prefix string) {
	for _, list := range []struct {
		name string
		n    int
	}{{"expand", len(e.Expand)}, {"filter", len(e.Filter)}, {"on-field-change", len(e.OnFieldChange)}, {"load-only", len(e.LoadOnly)}} {
		if list.n > MaxOptionPaths {
			v.Add(prefix+"."+list.name, "has more than "+strconv.Itoa(MaxOptionPaths)+" fields")
		}
	}
	for _, path := range slices.Sorted(maps.Keys(e.Filter)) {
		field := prefix + ".filter." + path
		switch {
		case !ValidPath(path):
			v.Add(field, "is not a field path such as email1 or primary_account.name")
		case !validFilterValue(e.Filter[path]):
			v.Add(field, "must be a string, number, boolean, null or a list of 1 to "+strconv.Itoa(MaxFilterValues)+" of those")
		case !finiteNumbers(e.Filter[path]):
			v.Add(field, "holds a number too large to compare (beyond ±1.8e308)")
		default:
			if problem := opValueProblem(e.FilterOp[path], e.Filter[path]); problem != "" {
				v.Add(field, problem)
			}
		}
	}
	for _, path := range slices.Sorted(maps.Keys(e.FilterOp)) {
		op := e.FilterOp[path]
		switch {
		case !slices.Contains(FilterOps, op):
			v.Add(prefix+".filter-op."+path, "unknown operator "+strconv.Quote(string(op))+"; use eq, ne, lt, lte, gt, gte, like or contains")
		case !hasKey(e.Filter, path):
			v.Add(prefix+".filter-op."+path, "has no filter value for this field")
		}
	}
	for i, path := range e.OnFieldChange {
		if !ValidPath(path) {
			v.Add(prefix+".on-field-change["+strconv.Itoa(i)+"]", "is not a field path")
		}
	}
	for i, path := range e.LoadOnly {
		if !ValidPath(path) {
			v.Add(prefix+".load-only["+strconv.Itoa(i)+"]", "is not a field path")
		}
	}
	for i, path := range e.Expand {
		field := prefix + ".expand[" + strconv.Itoa(i) + "]"
		switch {
		case !ValidPath(path):
			v.Add(field, "is not a field path")
		case len(e.LoadOnly) > 0 && !slices.ContainsFunc(e.LoadOnly, func(kept string) bool { return overlaps(kept, path) }):
			v.Add(field, "is removed by load-only, so it could never arrive; list "+path+" (or fields inside it) in load-only")
		}
	}
}

// overlaps reports whether one of two dotted paths is the other or lies inside it.
func overlaps(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || strings.HasPrefix(b, a) && b[len(a)] == '.'
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// opValueProblem explains why a filter value, or an item of its list, can
// never match under op, or returns "": such a value is a mistake the user
// would otherwise only notice as records that never arrive.
func opValueProblem(op FilterOp, x any) string {
	values, ok := x.([]any)
	if !ok {
		values = []any{x}
	}
	for _, x := range values {
		_, isString := x.(string)
		_, isBool := x.(bool)
		switch {
		case op == OpLike && !isString:
			return `like compares text: give a pattern string such as "%@example.com"`
		case op == OpLike && len(x.(string)) > MaxLikePattern:
			return "a like pattern is at most " + strconv.Itoa(MaxLikePattern) + " bytes"
		case (op == OpLt || op == OpLte || op == OpGt || op == OpGte) && (x == nil || isBool):
			return string(op) + " orders numbers or text: give a number or a string"
		case op == OpContains && x == nil:
			return "contains needs a string, number or boolean to look for, not null"
		}
	}
	return ""
}

// validateNumbers refuses, under field, every number in x (nested in maps
// and lists) that does not fit a float64: stored as written, it could not be
// compared or sent as a number any receiver reads.
func validateNumbers(v *ValidationError, field string, x any) {
	switch x := x.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			validateNumbers(v, field+"."+k, x[k])
		}
	case []any:
		for i, e := range x {
			validateNumbers(v, indexed(field, i), e)
		}
	default:
		if !finiteNumbers(x) {
			v.Add(field, "is a number too large to store (beyond ±1.8e308)")
		}
	}
}

// finiteNumbers reports whether x, or every item of a list x, is no number
// or a number that fits a float64.
func finiteNumbers(x any) bool {
	if list, ok := x.([]any); ok {
		return !slices.ContainsFunc(list, func(e any) bool { return !finiteNumbers(e) })
	}
	n, ok := x.(json.Number)
	if !ok {
		return true
	}
	_, err := strconv.ParseFloat(string(n), 64)
	return err == nil
}

func validFilterValue(x any) bool {
	if list, ok := x.([]any); ok {
		if len(list) == 0 || len(list) > MaxFilterValues {
			return false
		}
		for _, item := range list {
			if !scalar(item) {
				return false
			}
		}
		return true
	}
	return scalar(x)
}

func scalar(x any) bool {
	switch x.(type) {
	case nil, string, bool, float64, int, int64:
		return true
	}
	// json.Number when decoded with UseNumber.
	_, ok := x.(interface{ Float64() (float64, error) })
	return ok
}

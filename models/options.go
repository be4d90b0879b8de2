package models

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
)

// Options are Pipeliner's webhook options (SPEC §5): which records a hook
// wants and how fast it wants them.
type Options struct {
	Entity              map[string]EntityOptions `json:"entity,omitempty"`
	CustomEntityAPIName []string                 `json:"custom_entity_api_name,omitempty"`
	SkipKeys            []string                 `json:"skip_keys,omitempty"`
	ChunkSize           int                      `json:"chunk_size,omitempty"`
	ChunkDelay          int                      `json:"chunk_delay,omitempty"` // seconds between chunks
}

// EntityOptions filter and trim the records of one entity.
type EntityOptions struct {
	Filter        map[string]any      `json:"filter,omitempty"`
	FilterOp      map[string]FilterOp `json:"filter-op,omitempty"`
	OnFieldChange []string            `json:"on-field-change,omitempty"`
	LoadOnly      []string            `json:"load-only,omitempty"`
}

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

// Chunking defaults and bounds (SPEC §5).
const (
	DefaultChunkSize = 100
	MaxChunkSize     = 100
	MaxChunkDelay    = 86400
)

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
		v.Add("options.chunk_size", "must be between 1 and 100")
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
	for _, entity := range slices.Sorted(maps.Keys(o.Entity)) {
		o.Entity[entity].validate(v, "options.entity."+entity)
	}
}

func (e EntityOptions) validate(v *ValidationError, prefix string) {
	for _, path := range slices.Sorted(maps.Keys(e.Filter)) {
		if !ValidPath(path) {
			v.Add(prefix+".filter."+path, "is not a field path such as email1 or primary_account.name")
			continue
		}
		if !validFilterValue(e.Filter[path]) {
			v.Add(prefix+".filter."+path, "must be a string, number, boolean, null or a list of those")
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
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

func validFilterValue(x any) bool {
	if list, ok := x.([]any); ok {
		if len(list) == 0 {
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

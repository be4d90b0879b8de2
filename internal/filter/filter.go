// Package filter decides which records of a CRM event reach a hook, following
// Pipeliner's webhook options (docs/spec.md §5): skip keys and custom-entity names
// decide whether an event reaches a hook at all, then filter, filter-op and
// on-field-change pick its records and load-only trims them. docs/filters.md
// states every rule for users.
//
// The package is pure and deterministic: the same options and event always
// give the same records, so a retried activity sends the same deliveries.
package filter

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hookflow/hookflow/models"
)

// customEntityType is the entity of Pipeliner's custom-entity events
// ("CustomEntity.Create"); the trigger names the custom entity separately.
const customEntityType = "CustomEntity"

// Accepts reports whether an event reaches a hook at all, before looking at
// records: false when the trigger's skip key is one of o.SkipKeys, or when the
// event is a custom-entity event (entity "CustomEntity", case-insensitive) and
// o.CustomEntityAPIName is non-empty and does not contain customEntity
// (case-insensitive). Skip keys match exactly; an empty skip key skips nothing.
func Accepts(o models.Options, entity, customEntity, skipKey string) bool {
	if skipKey != "" && slices.Contains(o.SkipKeys, skipKey) {
		return false
	}
	if isCustom(entity) && len(o.CustomEntityAPIName) > 0 {
		return slices.ContainsFunc(o.CustomEntityAPIName, func(name string) bool {
			return strings.EqualFold(name, customEntity)
		})
	}
	return true
}

// Apply returns the records of body the hook wants, in event order, each
// trimmed by load-only. entity is the event's entity as the CRM sent it
// ("Contact" of "Contact.Update"); for custom-entity events the customEntity
// name is tried first as the options key, then "CustomEntity". Options keys
// match entities case-insensitively. No options for the entity: every record
// passes, untrimmed.
//
// Matching may cost at most Budget units of work (about 2 ns each);
// past it Apply stops and returns an *ExceededError, so no filter and event,
// however hostile, can hold a worker for long. Apply returns the work done.
//
// Apply never modifies body. A trimmed record gets a new Data map, but the
// values inside it, and untrimmed records whole, are shared with body, which
// other hooks read too: treat them as read-only.
func Apply(o models.Options, entity, customEntity string, body *models.EventBody) ([]models.Record, int64, error) {
	if body == nil {
		return nil, 0, nil
	}
	p := compile(entityOptions(o.Entity, entity, customEntity))
	p.project = newTrim(o, entityOptions(o.Entity, entity, customEntity))
	var out []models.Record
	if !p.selects() { // every record passes: one allocation for the whole event
		out = make([]models.Record, 0, len(body.Records))
	}
	var spent int64
	for i := range body.Records {
		r := body.At(i)
		ok, work := p.match(r)
		if spent += work; spent > Budget {
			return nil, spent, &ExceededError{Record: i}
		}
		if !ok {
			continue
		}
		if p.project != nil {
			r.Data = p.project.apply(r.Data)
		}
		out = append(out, r)
	}
	return out, spent, nil
}

// Budget bounds the work of one Apply: about a quarter of a second of a core
// (a unit is about 2 ns of the like matcher).
// The bench BenchmarkLikeWorstCase and docs/security.md show what it allows:
// every like filter of the largest size against text tens of kilobytes long,
// on every record of a 10,000-record event, fits many times over.
const Budget = 1 << 27

// ExceededError tells that a hook's filter needed more than Budget to
// evaluate an event: its patterns against the event's text are too costly.
type ExceededError struct {
	Record int // where evaluation stopped
}

func (e *ExceededError) Error() string {
	return fmt.Sprintf("the hook's filter needs more work than one event may take (stopped at record %d); "+
		"use fewer or shorter like patterns, or filter on exact values", e.Record)
}

// Trim applies only load-only to records chosen earlier by Apply: a delivery
// carries the records it was planned with, trimmed by the hook's load-only
// at send time. Like Apply it never modifies the records it is given.
func Trim(o models.Options, entity, customEntity string, records []models.Record) []models.Record {
	proj := newTrim(o, entityOptions(o.Entity, entity, customEntity))
	if proj == nil {
		return records
	}
	out := make([]models.Record, len(records))
	for i, r := range records {
		r.Data = proj.apply(r.Data)
		out[i] = r
	}
	return out
}

func isCustom(entity string) bool { return strings.EqualFold(entity, customEntityType) }

// entityOptions finds the options for an event's entity: for custom-entity
// events the custom entity's own name first, then the entity.
func entityOptions(m map[string]models.EntityOptions, entity, customEntity string) models.EntityOptions {
	if isCustom(entity) && customEntity != "" {
		if eo, ok := lookupFold(m, customEntity); ok {
			return eo
		}
	}
	eo, _ := lookupFold(m, entity)
	return eo
}

// lookupFold finds key case-insensitively. An exact match wins, then the
// smallest matching key, so options saved with both "Contact" and "contact"
// (before validation forbade it) still give one stable answer.
func lookupFold(m map[string]models.EntityOptions, key string) (models.EntityOptions, bool) {
	if eo, ok := m[key]; ok {
		return eo, true
	}
	best, found := "", false
	for k := range m {
		if strings.EqualFold(k, key) && (!found || k < best) {
			best, found = k, true
		}
	}
	return m[best], found
}

// program is one EntityOptions compiled once per Apply call: paths split and
// filter values classified, so the per-record loop does no parsing.
type program struct {
	conds    []condition
	onChange []path
	project  *trim // nil: keep every field
}

// condition is one filter field: the record passes when the field's value
// passes op against any of values, or, with negate (ne), against none of them.
type condition struct {
	path   []string
	op     models.FilterOp
	negate bool
	values []value
}

func compile(eo models.EntityOptions) program {
	var p program
	var likes []condition
	for _, f := range slices.Sorted(maps.Keys(eo.Filter)) {
		c := condition{path: parsePath(f).segs, op: eo.FilterOp[f]}
		switch c.op {
		case "":
			c.op = models.OpEq
		case models.OpNe:
			c.op, c.negate = models.OpEq, true
		}
		list, ok := eo.Filter[f].([]any)
		if !ok {
			list = []any{eo.Filter[f]}
		}
		for _, x := range list {
			v := classify(x)
			if c.op == models.OpLike && v.kind == kindString {
				v.like = compileLike(v.s)
			}
			c.values = append(c.values, v)
		}
		if c.op == models.OpLike {
			likes = append(likes, c)
		} else {
			p.conds = append(p.conds, c)
		}
	}
	// A like pattern costs more than every other test together, so like runs
	// last, only on the records the cheap conditions leave.
	p.conds = append(p.conds, likes...)
	for _, f := range eo.OnFieldChange {
		p.onChange = append(p.onChange, parsePath(f))
	}
	return p
}

// trim is a hook's load-only for one event: the entity's, for the record's
// own fields, and related_entity's, for the secondary entity the CRM nests
// in the record (models.RelatedEntityKey).
type trim struct{ own, related *projection }

// newTrim compiles the load-only lists; nil means keep everything.
func newTrim(o models.Options, eo models.EntityOptions) *trim {
	t := trim{own: newProjection(eo.LoadOnly)}
	if o.RelatedEntity != nil {
		t.related = newProjection(o.RelatedEntity.LoadOnly)
	}
	if t.own == nil && t.related == nil {
		return nil
	}
	return &t
}

// apply returns a trimmed copy of data. The related entity is another record
// riding along, so the entity's load-only keeps it; its own load-only trims it.
func (t *trim) apply(data map[string]any) map[string]any {
	related, ok := data[models.RelatedEntityKey].(map[string]any)
	if t.own == nil && !ok {
		return data
	}
	var out map[string]any
	if t.own != nil {
		out = t.own.apply(data)
	} else {
		out = maps.Clone(data)
	}
	if ok {
		if t.related != nil {
			related = t.related.apply(related)
		}
		out[models.RelatedEntityKey] = related
	}
	return out
}

// selects reports whether some records may be left out.
func (p *program) selects() bool { return len(p.conds) > 0 || len(p.onChange) > 0 }

// match reports whether the record passes, and the work it took.
func (p *program) match(r models.Record) (bool, int64) {
	var spent int64
	for i := range p.conds {
		ok, work := p.conds[i].match(r.Data)
		if spent += work; !ok {
			return false, spent
		}
	}
	return p.changed(r), spent + int64(len(p.onChange))
}

func (c *condition) match(data map[string]any) (bool, int64) {
	got := classify(lookup(data, c.path))
	hit, spent := false, int64(len(c.path))
	for _, want := range c.values {
		ok, work := test(c.op, got, want)
		if spent += work; ok {
			hit = true
			break
		}
	}
	return hit != c.negate, spent
}

// changed reports whether one of the on-field-change fields changed: from the
// CRM's changes list when it sent one, else by diffing previous against the
// record. With neither the record passes, as docs/spec.md §5 says.
func (p *program) changed(r models.Record) bool {
	if len(p.onChange) == 0 {
		return true
	}
	switch {
	case r.Changes != nil:
		for _, f := range p.onChange {
			for _, c := range r.Changes {
				if related(c, f.raw) {
					return true
				}
			}
		}
		return false
	case r.Previous != nil:
		for _, f := range p.onChange {
			if changedAt(r.Previous, r.Data, f.segs) {
				return true
			}
		}
		return false
	}
	return true
}

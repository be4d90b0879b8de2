package filter

import "strings"

// path is a dotted field path split once per Apply call, so the per-record
// loop never parses strings.
type path struct {
	raw  string
	segs []string
}

func parsePath(s string) path { return path{raw: s, segs: strings.Split(s, ".")} }

// lookup walks segs through nested objects. A missing segment, or a value on
// the way that is not an object (paths do not index arrays), reads as null.
func lookup(data map[string]any, segs []string) any {
	var x any = data
	for _, k := range segs {
		m, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		x = m[k]
	}
	return x
}

// related reports whether a change of field a is a change of field b: they are
// the same field or one holds the other ("primary_account", "primary_account.name").
func related(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || strings.HasPrefix(b, a) && b[len(a)] == '.'
}

// changedAt reports whether the field at segs differs between prev and cur.
// A field prev does not mention counts as unchanged, because CRMs often send
// previous values only for the fields that changed (docs/spec.md §4's example).
func changedAt(prev, cur map[string]any, segs []string) bool {
	var p, c any = prev, cur
	for _, k := range segs {
		pm, ok := p.(map[string]any)
		if !ok {
			// prev held a non-object where the path goes on, so the field
			// changed exactly when this whole parent value did.
			return differs(p, c)
		}
		pv, ok := pm[k]
		if !ok {
			return false
		}
		cm, _ := c.(map[string]any)
		p, c = pv, cm[k]
	}
	return differs(p, c)
}

// differs reports whether cur differs from prev. Objects compare only on the
// keys prev holds, for the same reason as in changedAt; a missing key reads as
// null everywhere.
func differs(prev, cur any) bool {
	pm, ok := prev.(map[string]any)
	if !ok {
		return !same(prev, cur)
	}
	cm, ok := cur.(map[string]any)
	if !ok {
		return true
	}
	for k, pv := range pm {
		if differs(pv, cm[k]) {
			return true
		}
	}
	return false
}

// same reports deep equality of two JSON values, numbers compared by value.
func same(a, b any) bool {
	va, vb := classify(a), classify(b)
	if va.kind != vb.kind {
		return false
	}
	switch va.kind {
	case kindList:
		if len(va.list) != len(vb.list) {
			return false
		}
		for i := range va.list {
			if !same(va.list[i], vb.list[i]) {
				return false
			}
		}
		return true
	case kindObject:
		am, aok := a.(map[string]any)
		bm, bok := b.(map[string]any)
		if !aok || !bok {
			return false
		}
		// Visit each value once: comparing both ways with differs would
		// double the work at every level and explode on deep nesting.
		for k, v := range am {
			if !same(v, bm[k]) {
				return false
			}
		}
		for k, v := range bm {
			if _, ok := am[k]; !ok && v != nil {
				return false
			}
		}
		return true
	}
	return equal(va, vb)
}

// projection is a load-only list compiled into a tree: a leaf keeps the whole
// value, an inner node keeps only its children.
type projection struct {
	key  string
	leaf bool
	kids []*projection
}

// newProjection compiles load-only paths; nil means keep everything.
func newProjection(paths []string) *projection {
	if len(paths) == 0 {
		return nil
	}
	root := &projection{}
	for _, p := range paths {
		n := root
		for _, k := range strings.Split(p, ".") {
			if n.leaf {
				break // a shorter path already keeps this whole value
			}
			n = n.kid(k)
		}
		n.leaf, n.kids = true, nil
	}
	return root
}

func (n *projection) kid(key string) *projection {
	for _, k := range n.kids {
		if k.key == key {
			return k
		}
	}
	k := &projection{key: key}
	n.kids = append(n.kids, k)
	return k
}

// apply returns a new map holding only the projected fields of data. Objects
// left empty are dropped, so a missing nested field is simply absent.
func (n *projection) apply(data map[string]any) map[string]any {
	out := make(map[string]any, len(n.kids))
	for _, k := range n.kids {
		v, ok := data[k.key]
		if !ok {
			continue
		}
		if !k.leaf {
			sub, ok := v.(map[string]any)
			if !ok {
				continue
			}
			if sub = k.apply(sub); len(sub) == 0 {
				continue
			}
			v = sub
		}
		out[k.key] = v
	}
	return out
}

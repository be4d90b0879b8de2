package filter

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/hookflow/hookflow/models"
)

// maxFuzzInput bounds fuzz inputs. Small inputs reach the same code, and the
// fuzzer minimizes each new input in time quadratic in its size: at a few KiB
// it spends whole minutes minimizing instead of fuzzing.
const maxFuzzInput = 1024

// FuzzApply runs one filter condition, on-field-change and load-only over
// arbitrary records and checks what must always hold: no panic, the output is
// an ordered subset of the input, the body is untouched, eq and ne split the
// records exactly, like agrees with a reference matcher, and load-only keeps
// nothing outside its paths.
func FuzzApply(f *testing.F) {
	f.Add(`[{"email1": "a@x.com", "score": 60}, {"email1": "b@x.com"}]`, `[["email1"]]`, ``,
		"email1", "eq", `["a@x.com", "b@x.com"]`, "id,email1", "email1", false)
	f.Add(`[{"score": 50}, {"score": "50"}, {}]`, ``, `[{"score": 40}]`, "score", "gte", `50`, "", "score", true)
	f.Add(`[{"name": "Acme Corp"}, {"name": "acme"}]`, ``, ``, "name", "like", `"acme%"`, "name", "", false)
	f.Add(`[{"name": "100%"}, {"name": "1000"}]`, ``, ``, "name", "like", `"100\\%"`, "", "", false)
	f.Add(`[{"tags": ["vip", 7]}, {"tags": "vip"}]`, ``, ``, "tags", "contains", `7`, "tags", "", true)
	f.Add(`[{"primary_account": {"name": "Acme", "id": 1}}, {"primary_account": null}]`, `[["primary_account"]]`,
		`[{"primary_account": {"name": "Old"}}]`, "primary_account.name", "ne", `null`, "id,primary_account.name", "primary_account.name", false)
	f.Add(`[{"a": {"b": {"c": 1}}}]`, ``, `[{"a": {"b": 2}}]`, "a.b.c", "lt", `[2, "x"]`, "a.b,a", "a.b.c", true)
	f.Add(`[null, {}]`, `[null]`, `[null]`, "", "", `{}`, ".,..", ".", false)

	f.Fuzz(func(t *testing.T, records, changes, previous, field, op, val, loadOnly, onChange string, exact bool) {
		if len(records+changes+previous+field+op+val+loadOnly+onChange) > maxFuzzInput {
			return
		}
		var b models.EventBody
		if models.UnmarshalExact([]byte(records), &b.Records) != nil {
			return
		}
		_ = json.Unmarshal([]byte(changes), &b.Changes) // change information is optional
		_ = models.UnmarshalExact([]byte(previous), &b.Previous)
		var want any
		if exact {
			if models.UnmarshalExact([]byte(val), &want) != nil {
				return
			}
		} else if json.Unmarshal([]byte(val), &want) != nil {
			return
		}
		eo := models.EntityOptions{
			Filter:   map[string]any{field: want},
			FilterOp: map[string]models.FilterOp{field: models.FilterOp(op)},
			LoadOnly: splitList(loadOnly), OnFieldChange: splitList(onChange),
		}
		o := models.Options{Entity: map[string]models.EntityOptions{"Contact": eo}}
		before, _ := json.Marshal(&b)

		got := applied(o, "Contact", "", &b)
		if again := applied(o, "Contact", "", &b); !reflect.DeepEqual(got, again) {
			t.Fatalf("Apply is not deterministic: %+v then %+v", got, again)
		}
		if after, _ := json.Marshal(&b); string(after) != string(before) {
			t.Fatalf("Apply changed the body from %s to %s", before, after)
		}
		last := -1
		for _, r := range got {
			if r.Index <= last || r.Index >= len(b.Records) {
				t.Fatalf("output indexes %v are not an ordered subset of %d records", indexes(got), len(b.Records))
			}
			last = r.Index
			in := b.At(r.Index)
			if !slices.Equal(r.Changes, in.Changes) || !reflect.DeepEqual(r.Previous, in.Previous) {
				t.Fatalf("record %d lost its change information", r.Index)
			}
			if len(eo.LoadOnly) == 0 {
				if !reflect.DeepEqual(r.Data, in.Data) {
					t.Fatalf("record %d changed without load-only", r.Index)
				}
				continue
			}
			checkProjection(t, eo.LoadOnly, in.Data, r.Data)
		}

		// eq and ne split every record between them, whatever the value.
		eo.OnFieldChange, eo.LoadOnly = nil, nil // from here on, judge the filter alone
		o.Entity["Contact"] = eo
		if op == "" || op == "eq" || op == "ne" {
			eo.FilterOp[field] = models.OpEq
			eq := applied(o, "Contact", "", &b)
			eo.FilterOp[field] = models.OpNe
			ne := applied(o, "Contact", "", &b)
			all := append(indexes(eq), indexes(ne)...)
			slices.Sort(all)
			if !slices.Equal(all, indexes(applied(models.Options{}, "Contact", "", &b))) {
				t.Fatalf("eq passed %v and ne passed %v of %d records", indexes(eq), indexes(ne), len(b.Records))
			}
		}

		// like agrees with a plain dynamic-programming matcher.
		if pattern, ok := want.(string); ok && op == "like" {
			passed := indexes(applied(o, "Contact", "", &b))
			for i, rec := range b.Records {
				s, isString := lookupString(rec, field)
				if wantPass := isString && likeReference(pattern, s); wantPass != slices.Contains(passed, i) {
					t.Fatalf("%q like %q = %v; reference says %v", s, pattern, !wantPass, wantPass)
				}
			}
		}
	})
}

// FuzzPath checks path handling on arbitrary paths and documents: a
// projection holds exactly the values its paths find, and nothing else; a
// document never differs from itself or from its own projection.
func FuzzPath(f *testing.F) {
	f.Add("primary_account.name", `{"primary_account": {"name": "Acme", "id": 1}, "id": 2}`)
	f.Add("id,email1", `{"id": 1, "email1": null, "phone": "x"}`)
	f.Add("a.b,a,a.c.d", `{"a": {"b": 1, "c": {"d": [1, 2]}}}`)
	f.Add("tags.name", `{"tags": [{"name": "x"}]}`)
	f.Add("..,.", `{"": {"": {"": 1}}}`)
	f.Add("x.y", `{"x": 1.50, "y": {"x": 1.5}}`)

	f.Fuzz(func(t *testing.T, list, doc string) {
		if len(list+doc) > maxFuzzInput {
			return
		}
		var data map[string]any
		if models.UnmarshalExact([]byte(doc), &data) != nil {
			return
		}
		paths := splitList(list)
		for _, s := range paths {
			if p := parsePath(s); strings.Join(p.segs, ".") != s || p.raw != s {
				t.Fatalf("parsePath(%q) = %q", s, p.segs)
			}
			if !related(s, s) || !related(s, s+".x") || related(s, s+"x") {
				t.Fatalf("related is wrong for %q", s)
			}
			if changedAt(data, data, parsePath(s).segs) {
				t.Fatalf("%s differs from itself at %q", doc, s)
			}
		}
		proj := newProjection(paths)
		if proj == nil {
			return
		}
		out := proj.apply(data)
		checkProjection(t, paths, data, out)
		for _, s := range paths {
			if changedAt(out, data, parsePath(s).segs) {
				t.Fatalf("projection %v differs from %s at %q", out, doc, s)
			}
		}
	})
}

// checkProjection asserts out is in projected through paths: every value a
// path finds in in is in out, and out holds nothing a path does not name.
func checkProjection(t *testing.T, paths []string, in, out map[string]any) {
	t.Helper()
	for _, s := range paths {
		segs := parsePath(s).segs
		if v, w := lookup(in, segs), lookup(out, segs); !same(v, w) {
			t.Fatalf("load-only %q lost %v: got %v", s, v, w)
		}
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := prefix + k
			if slices.Contains(paths, p) {
				continue // kept whole
			}
			sub, ok := v.(map[string]any)
			if !ok || !slices.ContainsFunc(paths, func(s string) bool { return strings.HasPrefix(s, p+".") }) {
				t.Fatalf("load-only %q kept %q", paths, p)
			}
			walk(p+".", sub)
		}
	}
	walk("", out)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func lookupString(rec map[string]any, field string) (string, bool) {
	s, ok := lookup(rec, parsePath(field).segs).(string)
	return s, ok
}

// likeReference is SQL LIKE by dynamic programming over runes, independent of
// the matcher compileLike builds.
func likeReference(pattern, s string) bool {
	type token struct {
		r        rune
		any, one bool
	}
	var toks []token
	escaped := false
	for _, r := range strings.ToValidUTF8(pattern, "\uFFFD") {
		switch {
		case escaped:
			toks, escaped = append(toks, token{r: r}), false
		case r == '\\':
			escaped = true
		case r == '%':
			toks = append(toks, token{any: true})
		case r == '_':
			toks = append(toks, token{one: true})
		default:
			toks = append(toks, token{r: r})
		}
	}
	if escaped {
		toks = append(toks, token{r: '\\'})
	}
	text := []rune(s)
	// match[j]: the tokens so far match text[:j].
	match := make([]bool, len(text)+1)
	match[0] = true
	for _, tok := range toks {
		next := make([]bool, len(text)+1)
		for j := range next {
			switch {
			case tok.any:
				next[j] = match[j] || j > 0 && next[j-1]
			case j == 0:
			case tok.one:
				next[j] = match[j-1]
			default:
				next[j] = match[j-1] && foldEqual(tok.r, text[j-1])
			}
		}
		match = next
	}
	return match[len(text)]
}

func foldEqual(a, b rune) bool {
	for r := unicode.SimpleFold(a); ; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
		if r == a {
			return false
		}
	}
}

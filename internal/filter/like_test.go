package filter

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
)

func TestLike(t *testing.T) {
	tests := []struct {
		pattern, text string
		want          bool
	}{
		{"acme%", "ACME Corp", true},
		{"%@example.com", "ada@Example.COM", true},
		{"%@example.com", "ada@example.co", false},
		{"a_c", "abc", true},
		{"a_c", "ac", false},
		{"a_c", "a\nc", true}, // _ is any character, a newline too
		{"%", "", true},
		{"", "", true},
		{"", "x", false},
		{"100\\%", "100%", true},
		{"100\\%", "1000", false},
		{"a\\", "a\\", true}, // a trailing backslash stands for itself
		{"%b%b%", "abab", true},
		{"%b%b%", "ab", false},
		{"%ab%ab", "abab", true},
		{"ab%ab", "ab", false}, // prefix and suffix may not overlap
		{"%aa%a", "aaa", true},
		{"%é%", "CAFÉ", true},        // Unicode case folding
		{"k", "\u212a", true},        // the Kelvin sign folds with k
		{"%\ufffd%", "a\xffb", true}, // invalid UTF-8 reads as U+FFFD
		{"_", "\xff", true},          // one invalid byte is one character
		{"%_%_%", "é", false},        // characters, not bytes
		{"%" + strings.Repeat("a", 70) + "%", strings.Repeat("a", 69) + "b" + strings.Repeat("a", 70), true}, // two machine words
		{"%" + strings.Repeat("a", 70) + "%", strings.Repeat("a", 69) + "b" + strings.Repeat("a", 69), false},
		{"%a_" + strings.Repeat("b", 64) + "%", "xxa" + "Q" + strings.Repeat("B", 64) + "yy", true},
	}
	for _, tt := range tests {
		got, _ := compileLike(tt.pattern).match(tt.text)
		if got != tt.want {
			t.Errorf("%q like %q = %v, want %v", tt.text, tt.pattern, got, tt.want)
		}
		if ref := likeReference(tt.pattern, tt.text); ref != tt.want {
			t.Errorf("reference: %q like %q = %v, want %v", tt.text, tt.pattern, ref, tt.want)
		}
	}
}

// The reproduction, at the largest patterns hookflow accepts,
// against 30,000 a's: a regexp spent 15 s of CPU on "%a" repeated 20,000
// times; the work here is the text's length times the pattern's machine
// words, whatever the pattern's shape.
func TestLikeWorkIsLinear(t *testing.T) {
	text := strings.Repeat("a", 30000)
	for _, pattern := range worstPatterns() {
		p := compileLike(pattern)
		ok, work := p.match(text)
		if limit := int64(len(text))*int64(len(pattern)/64+1) + int64(len(pattern)); ok || work > limit {
			t.Errorf("pattern %.20q…: match %v after %d units of work on %d runes; want false within %d", pattern, ok, work, len(text), limit)
		}
	}
}

// worstPatterns are the costliest like patterns models.Validate accepts,
// against text of a's: each has to scan all of it before failing on a "b".
func worstPatterns() []string {
	n := models.MaxLikePattern
	return []string{
		strings.Repeat("%a", (n-3)/2) + "%b%",                         // many short segments
		"%" + strings.Repeat("a", n-3) + "b%",                         // one long segment, a near match everywhere
		"%" + strings.Repeat("_", n-3) + "b%",                         // wildcards: every position a candidate
		strings.Repeat("%"+strings.Repeat("a", 15), (n-3)/16) + "%b%", // segments of 15
	}
}

// A hook whose filter would take more than Budget on an event stops with an
// *ExceededError instead of running on: Apply's work is bounded per call.
func TestApplyStopsAtBudget(t *testing.T) {
	long := strings.Repeat("a", 100000)
	records := make([]map[string]any, 200)
	for i := range records {
		records[i] = map[string]any{"name": long}
	}
	var patterns []any
	for i := range 50 {
		patterns = append(patterns, "%"+strings.Repeat("a", 200)+string(rune('b'+i%20))+"%")
	}
	o := models.Options{Entity: map[string]models.EntityOptions{"Contact": {
		Filter: map[string]any{"name": patterns}, FilterOp: map[string]models.FilterOp{"name": models.OpLike}}}}
	_, work, err := Apply(o, "Contact", "", &models.EventBody{Records: records})
	var exceeded *ExceededError
	if !errors.As(err, &exceeded) {
		t.Fatalf("Apply() = %v after %d units; want an *ExceededError", err, work)
	}
	if work > Budget+int64(len(long))*4*int64(len(patterns)) {
		t.Errorf("Apply() worked %d units; want it to stop soon after the budget of %d", work, Budget)
	}
}

// FuzzLike checks the linear matcher against the dynamic-programming
// reference on arbitrary patterns and texts.
func FuzzLike(f *testing.F) {
	f.Add("%a%a%a", "aaaa")
	f.Add("a_c%", "ABCdef")
	f.Add("%\\%%", "50%")
	f.Add("%é_", "CAFÉS")
	f.Add("\\", "\\")
	f.Add("%aa%a", "aaa")
	f.Fuzz(func(t *testing.T, pattern, text string) {
		if len(pattern) > models.MaxLikePattern || len(text) > maxFuzzInput {
			return
		}
		got, work := compileLike(pattern).match(text)
		if want := likeReference(pattern, text); got != want {
			t.Fatalf("%q like %q = %v; reference says %v", text, pattern, got, want)
		}
		if limit := int64(len(text)+1)*int64(len(pattern)/64+1) + int64(len(pattern)); work > limit {
			t.Fatalf("%q like %q: %d units of work; want at most %d", text, pattern, work, limit)
		}
	})
}

// BenchmarkLikeWorstCase times the costliest patterns hookflow accepts
// against a 30 KB value (the reproduction), one record per op: the
// figure to keep under 10 ms per record.
func BenchmarkLikeWorstCase(b *testing.B) {
	body := &models.EventBody{Records: []map[string]any{{"name": strings.Repeat("a", 30000)}}}
	for i, pattern := range worstPatterns() {
		o := models.Options{Entity: map[string]models.EntityOptions{"Contact": {
			Filter: map[string]any{"name": pattern}, FilterOp: map[string]models.FilterOp{"name": models.OpLike}}}}
		b.Run([]string{"ShortSegments", "LongSegment", "Wildcards", "Segments15"}[i], func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Apply(o, "Contact", "", body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

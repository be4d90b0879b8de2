package filter

import (
	"cmp"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/hookflow/hookflow/models"
)

type kind uint8

const (
	kindNull kind = iota // null or missing
	kindBool
	kindNumber
	kindString
	kindList
	kindObject // objects and anything else that is not plain JSON
)

// value is a JSON value classified once, so comparisons switch on kind
// instead of on Go types.
type value struct {
	kind kind
	b    bool
	n    number
	s    string
	list []any
	like *likePattern // set on like filter values only
}

// number is a JSON number. Integers written as json.Number keep all 64 bits,
// so ids beyond 2^53 compare exactly; everything else compares as float64.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func classify(x any) value {
	switch x := x.(type) {
	case nil:
		return value{}
	case bool:
		return value{kind: kindBool, b: x}
	case string:
		return value{kind: kindString, s: x}
	case json.Number:
		if n, ok := parseNumber(string(x)); ok {
			return value{kind: kindNumber, n: n}
		}
	case float64:
		return value{kind: kindNumber, n: number{f: x}}
	case int:
		return value{kind: kindNumber, n: number{i: int64(x), f: float64(x), isInt: true}}
	case int64:
		return value{kind: kindNumber, n: number{i: x, f: float64(x), isInt: true}}
	case []any:
		return value{kind: kindList, list: x}
	}
	return value{kind: kindObject}
}

func parseNumber(s string) (number, bool) {
	// Only try ParseInt on integer literals: its error allocates, and decimals
	// are common in CRM records (amounts).
	if isInteger(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return number{i: i, f: float64(i), isInt: true}, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	// Out of range still orders correctly as ±Inf.
	return number{f: f}, err == nil || errors.Is(err, strconv.ErrRange)
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func compareNumbers(a, b number) int {
	if a.isInt && b.isInt {
		return cmp.Compare(a.i, b.i)
	}
	return cmp.Compare(a.f, b.f)
}

// equal is eq: same kind and same scalar value. Null equals null (a missing
// field reads as null); lists and objects never equal a filter value, use
// contains for membership.
func equal(a, b value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case kindNull:
		return true
	case kindBool:
		return a.b == b.b
	case kindNumber:
		return compareNumbers(a.n, b.n) == 0
	case kindString:
		return a.s == b.s
	}
	return false
}

// order compares two numbers or two strings (byte-wise); anything else,
// null included, has no order.
func order(a, b value) (int, bool) {
	switch {
	case a.kind == kindNumber && b.kind == kindNumber:
		return compareNumbers(a.n, b.n), true
	case a.kind == kindString && b.kind == kindString:
		return strings.Compare(a.s, b.s), true
	}
	return 0, false
}

// test applies one operator other than ne (which is the negation of eq) to
// a record value and one filter value. It returns the work it did, in units
// of about a nanosecond, for the filter's budget.
func test(op models.FilterOp, got, want value) (bool, int64) {
	switch op {
	case models.OpEq:
		return equal(got, want), 1
	case models.OpLt, models.OpLte, models.OpGt, models.OpGte:
		c, ok := order(got, want)
		switch {
		case !ok:
			return false, 1
		case op == models.OpLt:
			return c < 0, 1
		case op == models.OpLte:
			return c <= 0, 1
		case op == models.OpGt:
			return c > 0, 1
		}
		return c >= 0, 1
	case models.OpLike:
		if got.kind != kindString || want.like == nil {
			return false, 1
		}
		ok, work := want.like.match(got.s)
		return ok, 1 + work
	case models.OpContains:
		switch got.kind {
		case kindString:
			// strings.Contains runs at memory speed: a byte costs far less than a unit.
			return want.kind == kindString && strings.Contains(got.s, want.s), 1 + int64(len(got.s)/16)
		case kindList:
			for _, e := range got.list {
				if equal(classify(e), want) {
					return true, 1 + int64(len(got.list))
				}
			}
			return false, 1 + int64(len(got.list))
		}
	}
	// An unknown operator (options saved before validation existed) matches
	// nothing, so a broken filter withholds records rather than leaking them.
	return false, 1
}

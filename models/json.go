package models

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSON stores a Go value as a JSON text column, so hooks keep their lists and
// maps in one row on both PostgreSQL and SQLite.
type JSON[T any] struct {
	V T
	// err is why the stored text could not be read back into V (left zero).
	// Scanning does not fail on it: one unreadable row must not make every
	// query that lists it fail; its owner decides (Hook.Unreadable).
	err error
}

// Value implements driver.Valuer.
func (j JSON[T]) Value() (driver.Value, error) {
	b, err := json.Marshal(j.V)
	if err != nil {
		return nil, fmt.Errorf("encode json column: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (j *JSON[T]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		var zero T
		j.V = zero
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan json column: unsupported type %T", src)
	}
	// Numbers stay json.Number: a value that does not fit a float64 (1e999)
	// still reads back, as it was written.
	var v T
	if j.err = UnmarshalExact(b, &v); j.err == nil {
		j.V = v
	} else {
		var zero T
		j.V = zero
	}
	return nil
}

// Err reports why the stored value could not be read, nil when it was.
func (j JSON[T]) Err() error { return j.err }

// MarshalJSON encodes the wrapped value.
func (j JSON[T]) MarshalJSON() ([]byte, error) { return json.Marshal(j.V) }

// UnmarshalJSON replaces the wrapped value whole, as a column is written
// whole: a map or object given replaces the one held, not merges into it,
// and a value that could not be read is replaced too. null leaves the value
// as it is (encoding/json's convention: as for a field not given). It
// decodes as strictly as the API decodes bodies: an unknown field of an
// object is refused, and numbers stay exact (json.Number).
func (j *JSON[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	d.DisallowUnknownFields()
	var v T
	if err := d.Decode(&v); err != nil {
		return err
	}
	*j = JSON[T]{V: v}
	return nil
}

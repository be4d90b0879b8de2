package models

import (
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

// UnmarshalJSON decodes into the wrapped value.
func (j *JSON[T]) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &j.V) }

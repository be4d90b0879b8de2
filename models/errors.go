package models

import (
	"errors"
	"strings"
)

// ErrInvalid marks input that breaks a rule; the API answers it with 4xx.
var ErrInvalid = errors.New("invalid input")

// FieldError names one field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// ValidationError lists every problem found in one input, so a caller can fix
// them all in one round trip.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Problem
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for every ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Add records a problem with field.
func (e *ValidationError) Add(field, problem string) {
	e.Fields = append(e.Fields, FieldError{field, problem})
}

// Err returns e when it holds problems, else nil.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid returns a ValidationError for one field.
func Invalid(field, problem string) error {
	return &ValidationError{Fields: []FieldError{{field, problem}}}
}

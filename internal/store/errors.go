package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnstorableText means a text value holds a character the database
// cannot store (PostgreSQL refuses NUL in text): bad input, not a failure.
var ErrUnstorableText = errors.New("text holds a character that cannot be stored (NUL or invalid UTF-8)")

// wrapUnavailable marks errors that mean "the database is down or
// unreachable" with ErrUnavailable, so the API answers 503 instead of 500,
// and text the database refuses with ErrUnstorableText, answered 400.
func wrapUnavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnstorableText) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "22021" || pgErr.Code == "22P05") { // character_not_in_repertoire, untranslatable_character
		return fmt.Errorf("%w: %w", ErrUnstorableText, err)
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func isUnavailable(err error) bool {
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.As(err, &netErr), errors.As(err, &connectErr),
		errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01-03: the server is shutting down or starting.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "conn closed") ||
		strings.Contains(msg, "database is closed")
}

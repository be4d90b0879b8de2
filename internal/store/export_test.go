package store

import (
	"context"

	"gorm.io/gorm"
)

// DB lets the store's tests write rows the API never would (older versions', or hand-made).
func (s *Store) DB() *gorm.DB { return s.db }

// WriteInTx runs sql in a transaction on the writer, as the store's
// multi-statement writes do.
func (s *Store) WriteInTx(ctx context.Context, sql string) error {
	return s.tx(ctx, func(tx *gorm.DB) error { return tx.Exec(sql).Error })
}

// Write runs sql on the writer outside a transaction, as single writes do.
func (s *Store) Write(ctx context.Context, sql string) error { return s.write(ctx).Exec(sql).Error }

// WriterPragma reads a pragma's value on the writer's connection.
func (s *Store) WriterPragma(ctx context.Context, name string) (int, error) {
	var v int
	err := s.writer.WithContext(ctx).Raw("PRAGMA " + name).Scan(&v).Error
	return v, err
}

package store

import "gorm.io/gorm"

// DB lets the store's tests write rows the API never would (older versions', or hand-made).
func (s *Store) DB() *gorm.DB { return s.db }

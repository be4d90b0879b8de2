// Package chaos proves docs/spec.md §8 under faults: its tests build the real
// hookflow binary, run it as separate processes under load, kill or stop
// those processes (and a private PostgreSQL) and check that every event
// answered 202 reaches the receiver, duplicates carrying the same delivery
// id. docs/reliability.md records the figures of a run.
package chaos

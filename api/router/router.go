// Package router puts hookflow's HTTP API together: the native /v1 of
// package api and, beside it, every product built on it. It is the one
// place that lists them, as worker.New is for workflows and activities.
package router

import (
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/bins"
	"github.com/hookflow/hookflow/api/pipeliner"
	"github.com/hookflow/hookflow/api/superoffice"
)

// Store is what the whole API needs of the data layer; *store.Store has it all.
type Store interface {
	api.Store // hooks, which the vendor APIs manage too
	bins.Store
}

// New returns the whole API on st, configured by d.
func New(st Store, d api.Deps) *api.Server {
	s := api.New(st, d)
	superoffice.Mount(s, st) // docs/spec.md §9, docs/vendor-apis.md
	pipeliner.Mount(s, st)
	bins.Mount(s, st) // docs/spec.md §10, docs/bins.md
	return s
}

package main

import (
	"strings"
	"testing"

	"github.com/hookflow/hookflow/internal/devserver"
	"github.com/hookflow/hookflow/workflows"
	"go.temporal.io/api/serviceerror"
)

// Where Temporal refuses to add the search attributes, the waiting message
// gives the exact commands that add them, for Temporal Cloud and for a
// self-hosted cluster, with every attribute and its type.
func TestRegisterCommandsNameEveryMissingAttribute(t *testing.T) {
	e := &devserver.MissingSearchAttributesError{Namespace: "hookflow.a1b2c", Missing: workflows.SearchAttributes,
		Err: serviceerror.NewPermissionDenied("Request unauthorized.", "")}
	got := registerCommands(e)
	for _, want := range []string{
		`tcld namespace search-attributes add --namespace hookflow.a1b2c --search-attribute "HookflowEventType=Keyword" ` +
			`--search-attribute "HookflowHookIds=KeywordList" --search-attribute "HookflowTenant=Keyword"`,
		"temporal operator search-attribute create --namespace hookflow.a1b2c --name HookflowEventType --type Keyword " +
			"--name HookflowHookIds --type KeywordList --name HookflowTenant --type Keyword",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("commands lack\n  %s\ngot\n  %s", want, got)
		}
	}
}

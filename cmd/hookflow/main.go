// Command hookflow is the webhook delivery orchestrator: one binary with a
// command per role (docs/spec.md §1).
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "hookflow:", err)
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "hookflow",
		Short: "Durable webhook delivery for CRM platforms, on Temporal",
		Long: "hookflow delivers CRM change events to subscribed webhooks — filtered, chunked, signed and\n" +
			"retried — with every event a Temporal workflow. Every setting is an environment variable\n" +
			"(HOOKFLOW_*), overridable by the flag of the same name.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddGroup(&cobra.Group{ID: groupServer, Title: "Run hookflow:"}, &cobra.Group{ID: groupClient, Title: "Talk to a running hookflow (--server, --api-key):"})
	for _, cmd := range []*cobra.Command{devCommand(), serveCommand(), apiCommand(), workerCommand(), migrateCommand(), temporalCommand()} {
		cmd.GroupID = groupServer
		root.AddCommand(cmd)
	}
	root.AddCommand(hooksCommand(), eventsCommand(), deliveriesCommand(), secretsCommand(), versionCommand(), healthcheckCommand())
	return root
}

// Command groups of hookflow --help; the rest are listed as additional commands.
const (
	groupServer = "server"
	groupClient = "client"
)

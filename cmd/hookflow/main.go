// Command hookflow is the webhook delivery orchestrator: one binary with a
// command per role (SPEC §1).
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
	root.AddCommand(devCommand(), serveCommand(), apiCommand(), workerCommand(), migrateCommand(), versionCommand(), healthcheckCommand(), temporalCommand())
	return root
}

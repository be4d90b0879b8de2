package main

import (
	"fmt"

	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/seal"
	"github.com/spf13/cobra"
)

func secretsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Manage the keys that seal the hooks' secrets in the database",
		Long: "Hooks' signing secrets and receiver credentials are stored sealed (AES-256-GCM) under\n" +
			"HOOKFLOW_ENCRYPTION_KEYS, a comma list of keys, newest first: the first seals, all open.\n" +
			"To rotate: put a new key first on every process, restart them, run rotate-key, then\n" +
			"drop the old key. docs/security.md tells the whole procedure.",
	}
	cmd.AddCommand(rotateKeyCommand(), generateKeyCommand())
	return cmd
}

func rotateKeyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate-key",
		Short: "Re-seal every hook's secrets with the newest key of HOOKFLOW_ENCRYPTION_KEYS",
		Long: "rotate-key reads the hooks a page at a time and re-seals every secret that is not sealed\n" +
			"with the first key of HOOKFLOW_ENCRYPTION_KEYS (sealed with an older key, or stored in clear).\n" +
			"It can run while hookflow runs and be run again; a hook edited meanwhile keeps its edit.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, config.CmdSecrets)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			st, _, err := openStore(ctx, cfg, false)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := st.Reseal(ctx)
			if err != nil {
				return fmt.Errorf("rotate key (%d hooks re-sealed before): %w", res.Sealed, err)
			}
			key := cfg.EncryptionKeys.CurrentID()
			fmt.Fprintf(cmd.OutOrStdout(), "re-sealed the secrets of %d hooks with key %s\n", res.Sealed, key)
			if res.Left > 0 {
				return fmt.Errorf("%d hooks still hold secrets not sealed with key %s (edited meanwhile by a process with an older key list?): "+
					"give every process the new HOOKFLOW_ENCRYPTION_KEYS and run rotate-key again", res.Left, key)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "every hook is sealed with key %s: the keys after the first can go from HOOKFLOW_ENCRYPTION_KEYS\n", key)
			return nil
		},
	}
	config.Bind(cmd.Flags(), config.CmdSecrets)
	return cmd
}

func generateKeyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "generate-key",
		Short: "Print a new random key for HOOKFLOW_ENCRYPTION_KEYS",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), seal.NewKey())
		},
	}
}

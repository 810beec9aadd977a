package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

type synthOptions struct {
	*globalOptions
}

func newSynthCmd(g *globalOptions) *cobra.Command {
	o := &synthOptions{globalOptions: g}
	return &cobra.Command{
		Use:   "synth",
		Short: "Write the Terraform root module of every instance, without running terraform",
		Long: "Write the Terraform root module of every instance under .rollout/stacks.\n" +
			"The terraform binary is looked up only for its version, which decides the S3 backend syntax.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return synthRun(cmd.Context(), o) },
	}
}

func synthRun(ctx context.Context, o *synthOptions) error {
	_, bin, instances, err := o.prepare(ctx)
	if err != nil {
		return err
	}
	wd, _ := os.Getwd()
	for _, in := range instances {
		rel, err := filepath.Rel(wd, in.Dir)
		if err != nil {
			rel = in.Dir
		}
		fmt.Fprintf(o.stdout, "%s\t%s\trevision %s\n", in.ID(), rel, in.Revision)
	}
	fmt.Fprintf(o.stderr, "synthesized %s for %s %s\n", plural(len(instances), "instance"), bin.Product, bin.Version)
	return nil
}

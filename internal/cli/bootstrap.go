package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/rollout-dev/rollout/pkg/bootstrap"
	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/rollout-dev/rollout/pkg/waves"
	"github.com/spf13/cobra"
)

type bootstrapOptions struct {
	*globalOptions
	// newBootstrapper builds the AWS clients; tests replace it with fakes.
	newBootstrapper func(ctx context.Context, settings config.AWS, region string) (*bootstrap.Bootstrapper, error)
}

func newBootstrapCmd(g *globalOptions) *cobra.Command {
	o := &bootstrapOptions{globalOptions: g, newBootstrapper: bootstrap.New}
	return &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the state bucket and lock table if they are missing",
		Long: "Create the S3 bucket named by state.bucket in state.region, with versioning,\n" +
			"default encryption and every public access block setting on, and the DynamoDB\n" +
			"table named by state.lock_table, keyed by LockID with on-demand billing.\n" +
			"A bucket that already exists gets whichever of its settings are missing.\n" +
			"Running it again changes nothing and exits 0.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return bootstrapRun(cmd.Context(), o) },
	}
}

func bootstrapRun(ctx context.Context, o *bootstrapOptions) error {
	p, err := o.loadProject()
	if err != nil {
		return err
	}
	o.log.Debug("bootstrapping state storage", "bucket", p.State.Bucket, "region", p.State.Region, "lock_table", p.State.LockTable)

	b, err := o.newBootstrapper(ctx, p.AWS, p.State.Region)
	if err != nil {
		return err
	}
	results, err := b.Run(ctx, p.State)
	for _, r := range results {
		fmt.Fprintln(o.stdout, r)
	}
	if err != nil && ctx.Err() != nil {
		return errors.Join(waves.ErrInterrupted, err)
	}
	if err != nil {
		return err
	}

	if bootstrap.AllExisted(results) {
		fmt.Fprintln(o.stdout, "everything already exists; nothing changed")
	}
	return nil
}

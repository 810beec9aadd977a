package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/rollout-dev/rollout/pkg/runlock"
	"github.com/spf13/cobra"
)

type unlockOptions struct {
	*globalOptions
}

func newUnlockCmd(g *globalOptions) *cobra.Command {
	o := &unlockOptions{globalOptions: g}
	return &cobra.Command{
		Use:   "unlock",
		Short: "Release the project lock left behind by a rollout run that was killed",
		Long: "Release the project lock that keeps two rollout runs from applying at once.\n" +
			"Use it only when the run named in the lock is gone: releasing the lock of a live run\n" +
			"lets two runs apply at the same time. Terraform's own state locks are released with\n" +
			"terraform force-unlock, as the message of a failed run says.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return unlockRun(cmd.Context(), o) },
	}
}

func unlockRun(ctx context.Context, o *unlockOptions) error {
	p, err := o.loadProject()
	if err != nil {
		return err
	}
	api, err := stateS3(ctx, p)
	if err != nil {
		return err
	}
	holder, err := runlock.ForceRelease(ctx, api, p.State.Bucket, runLockKey(p))
	if errors.Is(err, runlock.ErrNotHeld) {
		fmt.Fprintf(o.stdout, "project lock s3://%s/%s is not held; nothing to release\n", p.State.Bucket, runLockKey(p))
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "released project lock s3://%s/%s held by %s\n", p.State.Bucket, runLockKey(p), holder)
	return nil
}

// runLockKey is where the project lock lives: next to the states, under
// the project's key prefix.
func runLockKey(p *config.Project) string {
	if p.State.KeyPrefix == "" {
		return runlock.ObjectName
	}
	return p.State.KeyPrefix + "/" + runlock.ObjectName
}

package cli

import (
	"context"

	"github.com/spf13/cobra"
)

type planOptions struct {
	*globalOptions
	selection
	detailedExitcode bool
	lockTimeout      string
}

func newPlanCmd(g *globalOptions) *cobra.Command {
	o := &planOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "plan [--wave NAME | --all] [--region R] [--stack S]",
		Short: "Plan every instance and print a summary per wave",
		Long: "Plan every selected instance: terraform init, then plan to a saved plan file.\n" +
			"Waves are planned in order but a failure does not stop later waves, since planning changes nothing.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return planRun(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.wave, "wave", "", "plan only this wave")
	f.BoolVar(&o.all, "all", false, "plan every wave (the default)")
	f.StringVar(&o.region, "region", "", "plan only this region")
	f.StringVar(&o.stack, "stack", "", "plan only this stack")
	f.BoolVar(&o.detailedExitcode, "detailed-exitcode", false, "exit 2 when an instance has changes and none failed")
	f.StringVar(&o.lockTimeout, "lock-timeout", "", "how long terraform waits for a state lock, e.g. 30s")
	cmd.MarkFlagsMutuallyExclusive("wave", "all")
	return cmd
}

func planRun(ctx context.Context, o *planOptions) error {
	r, _, err := newRun(ctx, o.globalOptions, modePlan, o.lockTimeout)
	if err != nil {
		return err
	}
	ws, err := r.waves(o.selection)
	if err != nil {
		return err
	}
	if err := r.execute(ctx, ws); err != nil {
		return err
	}
	if o.detailedExitcode && r.anyChanges() {
		return errChanges
	}
	return nil
}

package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rollout-dev/rollout/pkg/waves"
	"github.com/spf13/cobra"
)

type applyOptions struct {
	*globalOptions
	selection
	yes         bool
	lockTimeout string
}

func newApplyCmd(g *globalOptions) *cobra.Command {
	o := &applyOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "apply (--wave NAME | --all) [--yes]",
		Short: "Apply waves in order, stopping at the first wave that fails",
		Long: "Apply the selected waves one after another. In each instance rollout runs\n" +
			"terraform init, plans to a file and applies exactly that plan. A wave starts only\n" +
			"when the one before it succeeded.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return applyRun(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.wave, "wave", "", "apply only this wave")
	f.BoolVar(&o.all, "all", false, "apply every wave, in order")
	f.BoolVar(&o.yes, "yes", false, "apply without asking for confirmation")
	f.StringVar(&o.lockTimeout, "lock-timeout", "", "how long terraform waits for a state lock, e.g. 30s")
	cmd.MarkFlagsMutuallyExclusive("wave", "all")
	cmd.MarkFlagsOneRequired("wave", "all")
	return cmd
}

func applyRun(ctx context.Context, o *applyOptions) error {
	r, _, err := newRun(ctx, o.globalOptions, modeApply, o.lockTimeout)
	if err != nil {
		return err
	}
	ws, err := r.waves(o.selection)
	if err != nil {
		return err
	}
	if !o.yes {
		if err := o.confirm(r, ws); err != nil {
			return err
		}
	}
	release, err := r.lockProject(ctx, "rollout apply "+o.describe())
	if err != nil {
		return err
	}
	defer release()
	return r.execute(ctx, ws)
}

func (o *applyOptions) describe() string {
	if o.all {
		return "--all"
	}
	return "--wave " + o.wave
}

// confirm asks for confirmation on a terminal before anything is applied.
// Without a terminal it returns an error, because no one could reply.
func (o *applyOptions) confirm(r *run, ws []waves.Wave) error {
	if !isTerminal(o.stdin) {
		return errors.New("apply changes infrastructure and stdin is not a terminal: pass --yes to apply without confirmation")
	}
	var names []string
	n := 0
	for _, w := range ws {
		names = append(names, w.Name)
		n += len(w.Instances)
	}
	fmt.Fprintf(o.stderr, "Apply %s of project %s in waves %s? Run 'rollout plan' first to see the changes.\nType yes to apply: ",
		plural(n, "instance"), r.project.Name, strings.Join(names, ", "))
	answer, _ := bufio.NewReader(o.stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		return errors.New("apply cancelled: the reply was not yes")
	}
	return nil
}

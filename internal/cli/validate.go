package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type validateOptions struct {
	*globalOptions
}

func newValidateCmd(g *globalOptions) *cobra.Command {
	o := &validateOptions{globalOptions: g}
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the project file and list its waves, regions, stacks and state keys",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return validateRun(o) },
	}
}

func validateRun(o *validateOptions) error {
	p, err := o.loadProject()
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "project %s: %s, %s, %s\n\n", p.Name,
		plural(len(p.Waves), "wave"), plural(len(p.Stacks), "stack"), plural(len(p.Instances()), "instance"))
	tw := tabwriter.NewWriter(o.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tREGION\tSTACK\tSTATE KEY")
	for _, in := range p.Instances() {
		fmt.Fprintf(tw, "%s\t%s\t%s\ts3://%s/%s\n", in.Wave.Name, in.Region, in.Stack.Name, p.State.Bucket, p.StateKey(in.Stack.Name, in.Region))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range p.Stacks {
		if len(s.DependsOn) > 0 {
			fmt.Fprintf(o.stdout, "\nstack %s depends on %s\n", s.Name, strings.Join(s.DependsOn, ", "))
		}
	}
	return nil
}

// Package cli is rollout's command line: one file per command, each an
// options struct, a constructor and a run function, with the exit codes
// kept in this file.
package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/rollout-dev/rollout/pkg/waves"
	"github.com/spf13/cobra"
)

// Exit codes, the same for every command.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitChanges     = 2 // plan --detailed-exitcode: changes present, nothing failed
	ExitInterrupted = 130
)

// errChanges ends a successful plan that has changes when
// --detailed-exitcode asked for exit code 2.
var errChanges = errors.New("changes present")

// errReported is a failure whose details were already printed.
var errReported = errors.New("failed")

// globalOptions are the flags every command takes.
type globalOptions struct {
	configPath    string
	chdir         string
	parallelism   int
	terraformPath string
	verbose       bool

	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	signals        *interrupts
}

// Main runs rollout with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globalOptions{stdin: stdin, stdout: stdout, stderr: stderr}
	g.signals = watchInterrupts(stderr)
	defer g.signals.close()

	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(g.signals.ctx)
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, waves.ErrInterrupted):
		fmt.Fprintln(stderr, "rollout: interrupted")
		return ExitInterrupted
	case errors.Is(err, errChanges):
		return ExitChanges
	case errors.Is(err, errReported):
		return ExitFailed
	}
	fmt.Fprintf(stderr, "rollout: %v\n", err)
	return ExitFailed
}

func newRootCmd(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:           "rollout",
		Short:         "Replicate a Terraform stack into many AWS regions and roll it out wave by wave",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			level := slog.LevelWarn
			if g.verbose {
				level = slog.LevelDebug
			}
			g.log = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
			if g.chdir != "" {
				if err := os.Chdir(g.chdir); err != nil {
					return fmt.Errorf("change directory: %w", err)
				}
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nrun '%s --help' for usage", err, cmd.CommandPath())
	})
	f := root.PersistentFlags()
	f.StringVar(&g.configPath, "config", "rollout.hcl", "project file to read")
	f.StringVar(&g.chdir, "chdir", "", "switch to this directory before doing anything else")
	f.IntVar(&g.parallelism, "parallelism", 8, "maximum number of instances that run at once")
	f.StringVar(&g.terraformPath, "terraform-path", "", "terraform binary to use (default: terraform on PATH)")
	f.BoolVarP(&g.verbose, "verbose", "v", false, "log what rollout does to stderr")

	root.AddCommand(
		newValidateCmd(g),
		newSynthCmd(g),
		newPlanCmd(g),
		newApplyCmd(g),
		newBootstrapCmd(g),
		newUnlockCmd(g),
	)
	return root
}

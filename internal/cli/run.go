package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rollout-dev/rollout/pkg/awsclient"
	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/rollout-dev/rollout/pkg/report"
	"github.com/rollout-dev/rollout/pkg/runlock"
	"github.com/rollout-dev/rollout/pkg/runner"
	"github.com/rollout-dev/rollout/pkg/stackgen"
	"github.com/rollout-dev/rollout/pkg/waves"
)

// mode is the operation a run performs on each instance.
type mode int

const (
	modePlan mode = iota
	modeApply
)

// selection is which instances a run covers.
type selection struct {
	wave   string
	all    bool
	region string
	stack  string
}

// run is one invocation of plan or apply: its id, its log directory and the
// terraform result of every instance it ran.
type run struct {
	g         *globalOptions
	mode      mode
	id        string
	project   *config.Project
	instances map[string]stackgen.Instance
	runner    *runner.Runner

	mu      sync.Mutex
	results map[string]runner.Result
}

// newRun prepares a run: project loaded, instances synthesized, a run
// directory under .rollout/runs.
func newRun(ctx context.Context, g *globalOptions, m mode, lockTimeout string) (*run, []stackgen.Instance, error) {
	p, bin, instances, err := g.prepare(ctx)
	if err != nil {
		return nil, nil, err
	}
	id := newRunID()
	r := &run{
		g:         g,
		mode:      m,
		id:        id,
		project:   p,
		instances: map[string]stackgen.Instance{},
		results:   map[string]runner.Result{},
		runner: &runner.Runner{
			Binary:         bin,
			LogDir:         filepath.Join(p.Dir, ".rollout", "runs", id),
			Env:            awsEnvironment(p, g),
			PluginCacheDir: pluginCacheDir(p),
			LockTimeout:    lockTimeout,
			// Long enough for an interrupted apply to finish its current
			// resource and release the lock; a third Ctrl-C kills sooner.
			WaitDelay: 30 * time.Minute,
		},
	}
	for _, in := range instances {
		r.instances[in.ID()] = in
	}
	return r, instances, nil
}

func newRunID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// awsEnvironment is what every terraform process of the project gets on top
// of rollout's own environment. Against an emulator, instance metadata is
// switched off so nothing waits on a lookup that cannot succeed, and when no
// credentials are configured the emulator's conventional test keys are used.
func awsEnvironment(p *config.Project, g *globalOptions) map[string]string {
	if !awsclient.UsesEmulator(p.AWS) {
		return nil
	}
	env := map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}
	if awsclient.UseTestCredentials(os.Getenv) {
		g.log.Debug("aws.endpoint is set and no AWS credentials are configured: using test credentials")
		env["AWS_ACCESS_KEY_ID"] = "test"
		env["AWS_SECRET_ACCESS_KEY"] = "test"
	}
	return env
}

// pluginCacheDir is the user's TF_PLUGIN_CACHE_DIR, or one shared by all
// instances of the project.
func pluginCacheDir(p *config.Project) string {
	if dir := os.Getenv("TF_PLUGIN_CACHE_DIR"); dir != "" {
		return dir
	}
	return filepath.Join(p.Dir, ".rollout", "plugin-cache")
}

// lockProject takes the project lock for this run and returns the function
// that releases it. The release uses a fresh context: the run's own may be
// cancelled by then, and the lock must go all the same.
func (r *run) lockProject(ctx context.Context, command string) (func(), error) {
	api, err := stateS3(ctx, r.project)
	if err != nil {
		return nil, err
	}
	lock, err := runlock.Acquire(ctx, api, r.project.State.Bucket, runLockKey(r.project), runlock.NewHolder(r.id, command))
	if err != nil {
		return nil, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := lock.Release(ctx); err != nil {
			fmt.Fprintf(r.g.stderr, "rollout: %v\n", err)
		}
	}, nil
}

// waves turns the selected part of the project into scheduler waves. Within
// a region, a stack waits for the stacks it depends on.
func (r *run) waves(sel selection) ([]waves.Wave, error) {
	var names []string
	switch {
	case sel.wave != "":
		if r.project.Wave(sel.wave) == nil {
			return nil, fmt.Errorf("wave %q not found; waves of %s: %s", sel.wave, r.project.File, strings.Join(r.project.WaveNames(), ", "))
		}
		names = []string{sel.wave}
	default:
		names = r.project.WaveNames()
	}
	if sel.region != "" && !r.hasRegion(sel.region) {
		return nil, fmt.Errorf("region %q is in no wave of %s", sel.region, r.project.File)
	}
	if sel.stack != "" && !r.hasStack(sel.stack) {
		return nil, fmt.Errorf("stack %q not found in %s", sel.stack, r.project.File)
	}

	var out []waves.Wave
	for _, name := range names {
		w := r.project.Wave(name)
		sw := waves.Wave{Name: w.Name, MaxParallel: w.MaxParallel}
		for _, in := range r.project.Instances() {
			if in.Wave != w || (sel.region != "" && in.Region != sel.region) || (sel.stack != "" && in.Stack.Name != sel.stack) {
				continue
			}
			var deps []string
			for _, d := range in.Stack.DependsOn {
				deps = append(deps, d+"/"+in.Region)
			}
			sw.Instances = append(sw.Instances, waves.Instance{ID: in.ID(), DependsOn: deps})
		}
		sw.FailureTolerance = w.Tolerance(len(sw.Instances))
		if len(sw.Instances) > 0 {
			out = append(out, sw)
		}
	}
	return out, nil
}

func (r *run) hasRegion(region string) bool {
	for _, in := range r.project.Instances() {
		if in.Region == region {
			return true
		}
	}
	return false
}

func (r *run) hasStack(stack string) bool {
	for _, s := range r.project.Stacks {
		if s.Name == stack {
			return true
		}
	}
	return false
}

// execute runs the waves and prints the report. It returns errReported
// when an instance failed, and an error wrapping waves.ErrInterrupted when
// the run was interrupted.
func (r *run) execute(ctx context.Context, ws []waves.Wave) error {
	start := time.Now()
	s := &waves.Scheduler{
		Run:         r.runInstance,
		Parallelism: r.g.parallelism,
		Stop:        r.g.signals.stop,
		KeepGoing:   r.mode == modePlan,
		OnEvent:     r.progress,
	}
	outcomes, err := s.Execute(ctx, ws)
	if werr := report.Write(r.g.stdout, r.rows(outcomes), time.Since(start)); werr != nil {
		return werr
	}
	switch {
	case errors.Is(err, waves.ErrInterrupted):
		return err
	case err != nil:
		return errReported
	}
	return nil
}

func (r *run) runInstance(ctx context.Context, wave string, in waves.Instance) error {
	si := r.instances[in.ID]
	inst := runner.Instance{
		ID:             in.ID,
		Dir:            si.Dir,
		NeedsProviders: si.NeedsProviders,
		// A new configuration or another binary needs a new init.
		Fingerprint: si.Revision + " " + r.runner.Binary.Path + " " + r.runner.Binary.Version.String(),
	}
	var res runner.Result
	var err error
	if r.mode == modeApply {
		res, err = r.runner.Apply(ctx, inst)
	} else {
		res, err = r.runner.Plan(ctx, inst)
	}
	r.mu.Lock()
	r.results[in.ID] = res
	r.mu.Unlock()
	return err
}

// progress prints one whole line per event to stderr, so lines of two
// instances never mix.
func (r *run) progress(e waves.Event) {
	switch e.Kind {
	case waves.WaveStarted:
		fmt.Fprintf(r.g.stderr, "wave %s: started\n", e.Wave)
	case waves.InstanceStarted:
		fmt.Fprintf(r.g.stderr, "  %s: started\n", e.Instance.ID)
	case waves.InstanceFinished:
		row := r.row(*e.Outcome)
		fmt.Fprintf(r.g.stderr, "  %s: %s %s\n", e.Instance.ID, row.Result, report.Detail(row))
	}
}

func (r *run) rows(outcomes []waves.Outcome) []report.Row {
	rows := make([]report.Row, len(outcomes))
	for i, o := range outcomes {
		rows[i] = r.row(o)
	}
	return rows
}

func (r *run) row(o waves.Outcome) report.Row {
	in := r.instances[o.Instance.ID]
	r.mu.Lock()
	res := r.results[o.Instance.ID]
	r.mu.Unlock()
	row := report.Row{
		Wave: o.Wave, Stack: in.Stack.Name, Region: in.Region,
		Add: res.Add, Change: res.Change, Destroy: res.Destroy,
		Duration: o.Duration, Reason: o.Reason,
	}
	switch o.Status {
	case waves.Skipped:
		row.Result = report.Skipped
	case waves.Failed, waves.Interrupted:
		row.Result = report.Failed
		if o.Status == waves.Interrupted {
			row.Result = report.Interrupted
		}
		row.Error = o.Err.Error()
		if se, ok := runner.AsStepError(o.Err); ok {
			row.Tail = se.Tail(12)
			row.LogPath = se.LogPath
			if se.Lock != nil {
				row.Hint = "if that process is gone, release the lock with: " + se.Lock.UnlockCommand(r.runner.Binary.Command())
			}
		}
	case waves.Succeeded:
		row.Result = r.successLabel(res)
	}
	return row
}

func (r *run) successLabel(res runner.Result) string {
	switch {
	case res.Applied:
		return report.Applied
	case res.Changes && r.mode == modePlan:
		return report.Changes
	}
	return report.Unchanged
}

// anyChanges reports whether a plan found changes in any instance.
func (r *run) anyChanges() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range r.results {
		if res.Changes {
			return true
		}
	}
	return false
}

// Package runner drives one instance through Terraform with
// hashicorp/terraform-exec: init, plan to a file, show that plan for its
// counts, and apply exactly that plan. It is the only package of rollout
// that starts processes.
package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
)

// logMarker starts the lines rollout adds to an instance log, so they stand
// apart from Terraform's own output.
const logMarker = "#rollout:"

// PlanFile is the name of the saved plan in each instance directory.
const PlanFile = "rollout.tfplan"

// Runner runs Terraform in instance directories. One Runner serves every
// instance of a run and is safe for concurrent use.
type Runner struct {
	Binary Binary
	// LogDir receives one log file per instance with Terraform's full
	// output.
	LogDir string
	// Env is added to the process environment of every terraform call.
	Env map[string]string
	// PluginCacheDir is the provider cache shared by all instances.
	// Terraform's cache is not safe for concurrent init, so inits that
	// share it run one at a time.
	PluginCacheDir string
	// LockTimeout is passed to plan and apply as -lock-timeout, e.g. "30s".
	LockTimeout string
	// WaitDelay is how long an interrupted terraform may take to stop on
	// its own, releasing its state lock, before it is killed.
	WaitDelay time.Duration

	initMu sync.Mutex
}

// Instance is the directory of one synthesized root module and its name.
type Instance struct {
	ID  string
	Dir string
	// NeedsProviders is true when init installs providers; only such
	// inits share the plugin cache and are serialized.
	NeedsProviders bool
	// Fingerprint identifies the configuration that init prepares the
	// directory for. Init is skipped while the fingerprint and the
	// dependency lock file are unchanged since the last successful init;
	// an empty fingerprint always runs init.
	Fingerprint string
}

// Result is the outcome of one plan or apply of an instance.
type Result struct {
	// Changes is true when the plan had anything to do, resources or
	// outputs.
	Changes bool
	// Add, Change and Destroy count resources as Terraform's own summary
	// does: a replacement counts as one add and one destroy.
	Add, Change, Destroy, Replace int
	Applied                       bool
	LogPath                       string
}

// Plan initializes the instance and saves a plan of it to PlanFile.
func (r *Runner) Plan(ctx context.Context, in Instance) (Result, error) {
	s, err := r.start(in)
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	return s.plan(ctx)
}

// Apply plans the instance and applies exactly that plan when it has
// changes.
func (r *Runner) Apply(ctx context.Context, in Instance) (Result, error) {
	s, err := r.start(in)
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	res, err := s.plan(ctx)
	if err != nil || !res.Changes {
		return res, err
	}
	if err := s.step(ctx, "apply", func() error {
		return s.tf.Apply(ctx, tfexec.DirOrPlan(PlanFile))
	}); err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}

// session is one instance's terraform handle and log, used by one
// goroutine.
type session struct {
	r   *Runner
	in  Instance
	tf  *tfexec.Terraform
	log *lockedWriter
	res Result
}

func (r *Runner) start(in Instance) (*session, error) {
	if err := os.MkdirAll(r.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	logPath := filepath.Join(r.LogDir, strings.ReplaceAll(in.ID, "/", "_")+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	log := &lockedWriter{f: f}

	tf, err := tfexec.NewTerraform(in.Dir, r.Binary.Path)
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("use terraform in %s: %w", in.Dir, err)
	}
	tf.SetStdout(log)
	tf.SetStderr(log)
	if err := tf.SetEnv(r.environment()); err != nil {
		log.Close()
		return nil, fmt.Errorf("set terraform environment: %w", err)
	}
	if r.WaitDelay > 0 {
		if err := tf.SetWaitDelay(r.WaitDelay); err != nil {
			log.Close()
			return nil, err
		}
	}
	return &session{r: r, in: in, tf: tf, log: log, res: Result{LogPath: logPath}}, nil
}

func (s *session) close() { s.log.Close() }

// environment is the process environment plus rollout's own settings.
// terraform-exec replaces the whole environment once any is set, so the
// inherited one is copied in first.
func (r *Runner) environment() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	// One version check per instance would be many calls home for one
	// run; a user who wants them sets CHECKPOINT_DISABLE= explicitly.
	if _, set := env["CHECKPOINT_DISABLE"]; !set {
		env["CHECKPOINT_DISABLE"] = "1"
	}
	for k, v := range r.Env {
		env[k] = v
	}
	if r.PluginCacheDir != "" {
		env["TF_PLUGIN_CACHE_DIR"] = r.PluginCacheDir
		// Without this, Terraform 1.5 and OpenTofu 1.6 install a provider
		// into the cache again whenever an instance's lock file lacks its
		// checksum, overwriting the binary while other instances run it.
		// The cost: generated lock files record only the local h1: hash.
		if _, set := env["TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"]; !set {
			env["TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"] = "true"
		}
	}
	return tfexec.CleanEnv(env)
}

func (s *session) plan(ctx context.Context) (Result, error) {
	if err := s.init(ctx); err != nil {
		return s.res, err
	}

	opts := []tfexec.PlanOption{tfexec.Out(PlanFile)}
	if s.r.LockTimeout != "" {
		opts = append(opts, tfexec.LockTimeout(s.r.LockTimeout))
	}
	var output bytes.Buffer
	s.tf.SetStdout(io.MultiWriter(s.log, &output))
	err := s.step(ctx, "plan", func() error {
		changes, err := s.tf.Plan(ctx, opts...)
		s.res.Changes = changes
		return err
	})
	s.tf.SetStdout(s.log)
	if err != nil || !s.res.Changes {
		return s.res, err
	}
	// The summary line of the plan carries the counts; reading it saves a
	// show -json and a version check, two processes per instance.
	if parsePlanSummary(output.String(), &s.res) {
		return s.res, nil
	}

	// show -json prints the whole plan; keep it out of the log.
	s.tf.SetStdout(io.Discard)
	defer s.tf.SetStdout(s.log)
	err = s.step(ctx, "show", func() error {
		plan, err := s.tf.ShowPlanFile(ctx, PlanFile)
		if err == nil {
			countChanges(plan, &s.res)
		}
		return err
	})
	return s.res, err
}

// init runs terraform init unless the directory is already initialized for
// the same fingerprint, and records the fingerprint after a success.
func (s *session) init(ctx context.Context) error {
	stamp := initStamp(s.in)
	if stamp != "" && readStamp(s.in.Dir) == stamp {
		fmt.Fprintf(s.log, "\n%s terraform init skipped: the directory is initialized for this configuration\n", logMarker)
		return nil
	}
	err := s.step(ctx, "init", func() error {
		if s.r.PluginCacheDir != "" && s.in.NeedsProviders {
			s.r.initMu.Lock()
			defer s.r.initMu.Unlock()
		}
		return s.tf.Init(ctx)
	})
	if err == nil && stamp != "" {
		writeStamp(s.in.Dir, initStamp(s.in))
	}
	return err
}

// step runs one terraform command with a header in the log, and wraps its
// failure with the step's name and the log's path.
func (s *session) step(ctx context.Context, name string, run func() error) error {
	fmt.Fprintf(s.log, "\n%s terraform %s\n", logMarker, name)
	err := run()
	if err == nil {
		return nil
	}
	fmt.Fprintf(s.log, "\n%s terraform %s failed\n", logMarker, name)
	return &StepError{
		Step:        name,
		LogPath:     s.res.LogPath,
		Err:         err,
		Lock:        parseLockInfo(err.Error(), s.in.Dir),
		interrupted: ctx.Err() != nil,
	}
}

func countChanges(plan *tfjson.Plan, res *Result) {
	for _, rc := range plan.ResourceChanges {
		if rc.Change == nil {
			continue
		}
		a := rc.Change.Actions
		switch {
		case a.Replace():
			res.Replace++
			res.Add++
			res.Destroy++
		case a.Create():
			res.Add++
		case a.Update():
			res.Change++
		case a.Delete():
			res.Destroy++
		}
	}
}

// lockedWriter lets terraform-exec's stdout and stderr copiers share one
// log file without interleaving inside a line.
type lockedWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

func (l *lockedWriter) Close() error { return l.f.Close() }

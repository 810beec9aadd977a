// Package waves orders a rollout: waves one after another, the instances of
// a wave in parallel up to a limit, the stacks of one region in dependency
// order, and a stop as soon as a wave fails beyond its tolerance. It runs
// nothing itself; the caller passes the function that runs one instance, so
// the scheduling can be tested without Terraform.
package waves

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Instance is one unit of work in a wave.
type Instance struct {
	ID string
	// DependsOn names instances of the same wave that must succeed before
	// this one starts.
	DependsOn []string
}

// Wave is a group of instances that run together.
type Wave struct {
	Name      string
	Instances []Instance
	// MaxParallel bounds the instances running at once; zero means only
	// the scheduler's Parallelism applies.
	MaxParallel int
	// FailureTolerance is how many instances may fail before the wave
	// stops starting new ones and the rollout halts.
	FailureTolerance int
}

// Status is the final state of an instance.
type Status string

const (
	Succeeded   Status = "succeeded"
	Failed      Status = "failed"
	Skipped     Status = "skipped"
	Interrupted Status = "interrupted"
)

// Outcome is the end of one instance.
type Outcome struct {
	Wave     string
	Instance Instance
	Status   Status
	// Err is the cause of a failure or an interruption.
	Err error
	// Reason is the cause of a skip, in words for the report.
	Reason   string
	Started  time.Time
	Duration time.Duration
}

// ErrInterrupted is returned, wrapped, when a stop request or a cancelled
// context kept the rollout from finishing. An interrupted rollout is never
// a success, even when every instance that ran succeeded.
var ErrInterrupted = errors.New("rollout interrupted")

// RunFunc runs one instance. It must honour ctx: a cancelled ctx means stop
// gracefully and return.
type RunFunc func(ctx context.Context, wave string, in Instance) error

// EventKind is the type of an Event.
type EventKind string

const (
	WaveStarted      EventKind = "wave_started"
	WaveFinished     EventKind = "wave_finished"
	InstanceStarted  EventKind = "instance_started"
	InstanceFinished EventKind = "instance_finished"
)

// Event reports progress. Outcome is set for InstanceFinished.
type Event struct {
	Kind     EventKind
	Wave     string
	Instance Instance
	Outcome  *Outcome
}

// Scheduler runs waves. The zero value is not usable: Run is required.
type Scheduler struct {
	Run RunFunc
	// Parallelism bounds the instances running at once in any wave; zero
	// means no bound.
	Parallelism int
	// Stop, when closed, keeps new instances from starting while running
	// ones finish. Cancelling the context passed to Execute goes further
	// and interrupts running instances.
	Stop <-chan struct{}
	// KeepGoing runs every wave whatever fails before it, for read-only
	// work such as planning.
	KeepGoing bool
	// OnEvent, when set, is called for every event, one call at a time.
	OnEvent func(Event)

	eventMu sync.Mutex
}

// Execute runs the waves in order and returns one outcome per instance, in
// the order given. The error joins every failure, and wraps ErrInterrupted
// when the rollout was stopped before it finished.
func (s *Scheduler) Execute(ctx context.Context, waves []Wave) ([]Outcome, error) {
	var outcomes []Outcome
	haltedBy := ""
	for _, w := range waves {
		if reason := s.skipReason(ctx, haltedBy); reason != "" {
			outcomes = append(outcomes, skipAll(w, reason)...)
			continue
		}
		s.emit(Event{Kind: WaveStarted, Wave: w.Name})
		result := s.runWave(ctx, w)
		s.emit(Event{Kind: WaveFinished, Wave: w.Name})
		outcomes = append(outcomes, result...)
		if failures(result) > w.FailureTolerance && !s.KeepGoing && haltedBy == "" {
			haltedBy = w.Name
		}
	}
	return outcomes, summarize(outcomes, s.stopped(ctx))
}

func (s *Scheduler) skipReason(ctx context.Context, haltedBy string) string {
	switch {
	case s.stopped(ctx):
		return "the rollout was interrupted before this wave started"
	case haltedBy != "":
		return fmt.Sprintf("wave %q failed", haltedBy)
	}
	return ""
}

func (s *Scheduler) stopped(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	select {
	case <-s.Stop:
		return true
	default:
		return false
	}
}

func skipAll(w Wave, reason string) []Outcome {
	out := make([]Outcome, len(w.Instances))
	for i, in := range w.Instances {
		out[i] = Outcome{Wave: w.Name, Instance: in, Status: Skipped, Reason: reason}
	}
	return out
}

func failures(outcomes []Outcome) int {
	n := 0
	for _, o := range outcomes {
		if o.Status == Failed {
			n++
		}
	}
	return n
}

func summarize(outcomes []Outcome, stopped bool) error {
	var errs []error
	interrupted := stopped
	for _, o := range outcomes {
		switch o.Status {
		case Failed:
			errs = append(errs, fmt.Errorf("%s: %w", o.Instance.ID, o.Err))
		case Interrupted:
			interrupted = true
		}
	}
	if interrupted {
		errs = append([]error{ErrInterrupted}, errs...)
	}
	return errors.Join(errs...)
}

func (s *Scheduler) emit(e Event) {
	if s.OnEvent == nil {
		return
	}
	s.eventMu.Lock()
	defer s.eventMu.Unlock()
	s.OnEvent(e)
}

package waves

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// waveRun is the state of one wave while it runs. Only the goroutine of
// runWave touches it; instances report back on a channel.
type waveRun struct {
	s    *Scheduler
	wave Wave

	outcomes   []Outcome
	ended      []bool
	waitingFor []int   // unfinished dependencies of each instance
	dependents [][]int // instances waiting for each instance
	ready      []int   // instances free to start, in wave order
	failures   int
}

type finished struct {
	index   int
	outcome Outcome
}

// runWave starts instances in wave order as slots free up, each once its
// dependencies have succeeded, and stops starting them once the wave has
// failed beyond its tolerance or the rollout was stopped. Running
// instances always finish.
func (s *Scheduler) runWave(ctx context.Context, w Wave) []Outcome {
	r := newWaveRun(s, w)
	limit := parallelLimit(w.MaxParallel, s.Parallelism)
	if limit <= 0 {
		limit = len(w.Instances)
	}
	results := make(chan finished)
	stop, cancelled := s.Stop, ctx.Done()
	running, left := 0, len(w.Instances)
	// The group only waits for the workers; a failed instance is an
	// outcome, not an error that should cancel its siblings.
	var workers errgroup.Group
	defer workers.Wait()

	for left > 0 {
		for running < limit && len(r.ready) > 0 && r.notStartedReason(ctx) == "" {
			i := r.ready[0]
			r.ready = r.ready[1:]
			running++
			workers.Go(func() error {
				results <- finished{i, s.runOne(ctx, w.Name, w.Instances[i])}
				return nil
			})
		}
		if running == 0 {
			reason := r.notStartedReason(ctx)
			if reason == "" {
				reason = "its dependencies never finished"
			}
			left -= r.skipRemaining(reason)
			break
		}
		select {
		case f := <-results:
			running--
			left -= r.record(f.index, f.outcome)
		case <-stop:
			stop = nil
		case <-cancelled:
			cancelled = nil
		}
	}
	return r.outcomes
}

func newWaveRun(s *Scheduler, w Wave) *waveRun {
	n := len(w.Instances)
	r := &waveRun{
		s: s, wave: w,
		outcomes:   make([]Outcome, n),
		ended:      make([]bool, n),
		waitingFor: make([]int, n),
		dependents: make([][]int, n),
	}
	index := map[string]int{}
	for i, in := range w.Instances {
		index[in.ID] = i
	}
	for i, in := range w.Instances {
		for _, dep := range in.DependsOn {
			// A dependency outside the wave was handled by an earlier
			// wave or was not selected; only in-wave ones are waited for.
			if j, ok := index[dep]; ok {
				r.waitingFor[i]++
				r.dependents[j] = append(r.dependents[j], i)
			}
		}
		if r.waitingFor[i] == 0 {
			r.ready = append(r.ready, i)
		}
	}
	return r
}

func parallelLimit(a, b int) int {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}

func (s *Scheduler) runOne(ctx context.Context, wave string, in Instance) Outcome {
	s.emit(Event{Kind: InstanceStarted, Wave: wave, Instance: in})
	start := time.Now()
	err := s.Run(ctx, wave, in)
	o := Outcome{Wave: wave, Instance: in, Status: Succeeded, Started: start, Duration: time.Since(start)}
	switch {
	case err != nil && ctx.Err() != nil:
		o.Status, o.Err = Interrupted, err
	case err != nil:
		o.Status, o.Err = Failed, err
	}
	return o
}

// record stores an outcome, frees or skips the instances that wait for it,
// and returns how many instances ended.
func (r *waveRun) record(i int, o Outcome) int {
	r.end(i, o)
	if o.Status == Failed {
		r.failures++
	}
	ended := 1
	for _, j := range r.dependents[i] {
		if r.ended[j] {
			continue
		}
		if o.Status != Succeeded {
			reason := fmt.Sprintf("dependency %s %s", o.Instance.ID, o.Status)
			ended += r.record(j, Outcome{Wave: r.wave.Name, Instance: r.wave.Instances[j], Status: Skipped, Reason: reason})
			continue
		}
		r.waitingFor[j]--
		if r.waitingFor[j] == 0 {
			r.ready = append(r.ready, j)
			slices.Sort(r.ready)
		}
	}
	return ended
}

func (r *waveRun) end(i int, o Outcome) {
	r.outcomes[i] = o
	r.ended[i] = true
	r.s.emit(Event{Kind: InstanceFinished, Wave: r.wave.Name, Instance: o.Instance, Outcome: &r.outcomes[i]})
}

// skipRemaining ends every instance that has not ended, with reason, and
// returns how many it ended.
func (r *waveRun) skipRemaining(reason string) int {
	n := 0
	for i, in := range r.wave.Instances {
		if !r.ended[i] {
			r.end(i, Outcome{Wave: r.wave.Name, Instance: in, Status: Skipped, Reason: reason})
			n++
		}
	}
	return n
}

// notStartedReason returns the reason no instance may start now, or "".
func (r *waveRun) notStartedReason(ctx context.Context) string {
	if r.s.stopped(ctx) {
		return "the rollout was interrupted before this instance started"
	}
	if r.failures > r.wave.FailureTolerance && !r.s.KeepGoing {
		return fmt.Sprintf("wave %q stopped after %d failed (failure_tolerance %d)", r.wave.Name, r.failures, r.wave.FailureTolerance)
	}
	return ""
}

package waves_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollout-dev/rollout/pkg/waves"
)

// fake records the order in which instances start and how many run at once.
type fake struct {
	mu      sync.Mutex
	started []string
	running int32
	peak    int32
	fail    map[string]bool
	delay   map[string]time.Duration
	// block holds an instance until the channel closes or ctx ends.
	block map[string]chan struct{}
}

func (f *fake) run(ctx context.Context, wave string, in waves.Instance) error {
	f.mu.Lock()
	f.started = append(f.started, in.ID)
	f.mu.Unlock()
	n := atomic.AddInt32(&f.running, 1)
	defer atomic.AddInt32(&f.running, -1)
	for {
		p := atomic.LoadInt32(&f.peak)
		if n <= p || atomic.CompareAndSwapInt32(&f.peak, p, n) {
			break
		}
	}
	if ch := f.block[in.ID]; ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if d := f.delay[in.ID]; d > 0 {
		time.Sleep(d)
	}
	if f.fail[in.ID] {
		return fmt.Errorf("%s broke", in.ID)
	}
	return nil
}

func (f *fake) startedSet() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]bool{}
	for _, id := range f.started {
		m[id] = true
	}
	return m
}

func wave(name string, ids ...string) waves.Wave {
	w := waves.Wave{Name: name}
	for _, id := range ids {
		w.Instances = append(w.Instances, waves.Instance{ID: id})
	}
	return w
}

func statuses(outcomes []waves.Outcome) map[string]waves.Status {
	m := map[string]waves.Status{}
	for _, o := range outcomes {
		m[o.Instance.ID] = o.Status
	}
	return m
}

func TestWavesRunInOrder(t *testing.T) {
	f := &fake{}
	s := &waves.Scheduler{Run: f.run}
	outcomes, err := s.Execute(context.Background(), []waves.Wave{
		wave("canary", "a"), wave("europe", "b", "c"), wave("rest", "d"),
	})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(outcomes) != 4 {
		t.Fatalf("got %d outcomes, want 4", len(outcomes))
	}
	if f.started[0] != "a" || f.started[3] != "d" {
		t.Errorf("start order %v: want a first and d last", f.started)
	}
	for id, st := range statuses(outcomes) {
		if st != waves.Succeeded {
			t.Errorf("%s: %s, want succeeded", id, st)
		}
	}
}

func TestParallelismLimits(t *testing.T) {
	tests := []struct {
		name        string
		maxParallel int
		parallelism int
		want        int32
	}{
		{"wave limit", 2, 8, 2},
		{"global limit", 0, 3, 3},
		{"smaller of both", 4, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fake{delay: map[string]time.Duration{}}
			w := waves.Wave{Name: "w", MaxParallel: tt.maxParallel}
			for i := range 8 {
				id := fmt.Sprint("i", i)
				w.Instances = append(w.Instances, waves.Instance{ID: id})
				f.delay[id] = 20 * time.Millisecond
			}
			s := &waves.Scheduler{Run: f.run, Parallelism: tt.parallelism}
			if _, err := s.Execute(context.Background(), []waves.Wave{w}); err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if f.peak != tt.want {
				t.Errorf("peak concurrency %d, want %d", f.peak, tt.want)
			}
		})
	}
}

func TestFailedWaveStopsLaterWaves(t *testing.T) {
	f := &fake{fail: map[string]bool{"a": true}}
	s := &waves.Scheduler{Run: f.run}
	outcomes, err := s.Execute(context.Background(), []waves.Wave{wave("canary", "a"), wave("rest", "b", "c")})
	if err == nil {
		t.Fatal("Execute succeeded, want the canary failure")
	}
	if errors.Is(err, waves.ErrInterrupted) {
		t.Errorf("failure reported as interruption: %v", err)
	}
	st := statuses(outcomes)
	if st["a"] != waves.Failed || st["b"] != waves.Skipped || st["c"] != waves.Skipped {
		t.Errorf("statuses %v: want a failed, b and c skipped", st)
	}
	if started := f.startedSet(); started["b"] || started["c"] {
		t.Errorf("later wave started: %v", f.started)
	}
	if outcomes[1].Reason != `wave "canary" failed` {
		t.Errorf("skip reason %q", outcomes[1].Reason)
	}
}

func TestFailureToleranceLetsWaveGoOn(t *testing.T) {
	f := &fake{fail: map[string]bool{"b": true}}
	w := wave("main", "a", "b", "c")
	w.FailureTolerance = 1
	s := &waves.Scheduler{Run: f.run}
	outcomes, err := s.Execute(context.Background(), []waves.Wave{w, wave("last", "d")})
	if err == nil {
		t.Fatal("Execute returned no error, want b's failure reported")
	}
	if st := statuses(outcomes); st["d"] != waves.Succeeded {
		t.Errorf("d is %s: a failure within tolerance must not stop the next wave", st["d"])
	}
}

func TestFailureStopsNewStartsInWave(t *testing.T) {
	release := make(chan struct{})
	f := &fake{
		fail:  map[string]bool{"a": true},
		block: map[string]chan struct{}{"b": release},
	}
	w := wave("main", "a", "b", "c", "d")
	w.MaxParallel = 2
	s := &waves.Scheduler{Run: f.run}
	go func() {
		// Let b run on until a has failed and c and d had their chance to
		// start, then let it finish.
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	outcomes, _ := s.Execute(context.Background(), []waves.Wave{w})
	st := statuses(outcomes)
	if st["b"] != waves.Succeeded {
		t.Errorf("b is %s: a running sibling must finish after a failure", st["b"])
	}
	if st["c"] != waves.Skipped || st["d"] != waves.Skipped {
		t.Errorf("c is %s and d is %s, want both skipped", st["c"], st["d"])
	}
}

func TestDependencyOrderAndSkip(t *testing.T) {
	f := &fake{fail: map[string]bool{"network/eu": true}}
	w := waves.Wave{Name: "europe", MaxParallel: 1, Instances: []waves.Instance{
		{ID: "app/eu", DependsOn: []string{"network/eu"}},
		{ID: "network/eu"},
		{ID: "app/us", DependsOn: []string{"network/us"}},
		{ID: "network/us"},
	}}
	w.FailureTolerance = 1
	s := &waves.Scheduler{Run: f.run}
	outcomes, _ := s.Execute(context.Background(), []waves.Wave{w})
	st := statuses(outcomes)
	if st["app/eu"] != waves.Skipped || st["app/us"] != waves.Succeeded {
		t.Errorf("statuses %v: want app/eu skipped, app/us succeeded", st)
	}
	if outcomes[0].Reason != "dependency network/eu failed" {
		t.Errorf("skip reason %q", outcomes[0].Reason)
	}
	pos := map[string]int{}
	for i, id := range f.started {
		pos[id] = i
	}
	if pos["app/us"] < pos["network/us"] {
		t.Errorf("app/us started before network/us: %v", f.started)
	}
}

func TestStopStartsNothingNew(t *testing.T) {
	stop := make(chan struct{})
	release := make(chan struct{})
	f := &fake{block: map[string]chan struct{}{"a": release}}
	w := wave("main", "a", "b")
	w.MaxParallel = 1
	s := &waves.Scheduler{Run: f.run, Stop: stop}
	go func() {
		time.Sleep(30 * time.Millisecond)
		close(stop)
		close(release)
	}()
	outcomes, err := s.Execute(context.Background(), []waves.Wave{w, wave("later", "c")})
	if !errors.Is(err, waves.ErrInterrupted) {
		t.Fatalf("err %v, want ErrInterrupted", err)
	}
	st := statuses(outcomes)
	if st["a"] != waves.Succeeded {
		t.Errorf("a is %s: a running instance finishes after a stop", st["a"])
	}
	if st["b"] != waves.Skipped || st["c"] != waves.Skipped {
		t.Errorf("b is %s and c is %s, want both skipped", st["b"], st["c"])
	}
}

func TestCancelInterruptsRunning(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fake{block: map[string]chan struct{}{"a": make(chan struct{})}}
	s := &waves.Scheduler{Run: f.run}
	go func() {
		time.Sleep(30 * time.Millisecond)
		cancel()
	}()
	outcomes, err := s.Execute(ctx, []waves.Wave{wave("main", "a"), wave("later", "b")})
	if !errors.Is(err, waves.ErrInterrupted) {
		t.Fatalf("err %v, want ErrInterrupted", err)
	}
	if st := statuses(outcomes); st["a"] != waves.Interrupted || st["b"] != waves.Skipped {
		t.Errorf("statuses %v: want a interrupted, b skipped", st)
	}
}

func TestKeepGoingRunsEveryWave(t *testing.T) {
	f := &fake{fail: map[string]bool{"a": true}}
	s := &waves.Scheduler{Run: f.run, KeepGoing: true}
	outcomes, err := s.Execute(context.Background(), []waves.Wave{wave("canary", "a"), wave("rest", "b")})
	if err == nil {
		t.Fatal("want a's failure in the error")
	}
	if st := statuses(outcomes); st["b"] != waves.Succeeded {
		t.Errorf("b is %s, want succeeded with KeepGoing", st["b"])
	}
}

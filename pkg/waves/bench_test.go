package waves_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rollout-dev/rollout/pkg/waves"
)

// benchWaves builds the waves of a project of stacks × regions instances:
// one region, then up to eight, then the rest. With chained set, each
// stack of a region depends on the stack before it, as a depends_on chain
// would make it.
func benchWaves(stacks, regions int, chained bool) []waves.Wave {
	second := min(regions, 9)
	bounds := []struct {
		name       string
		start, end int
	}{{"canary", 0, 1}, {"second", 1, second}, {"rest", second, regions}}

	var out []waves.Wave
	for _, b := range bounds {
		if b.start >= b.end {
			continue
		}
		w := waves.Wave{Name: b.name}
		for r := b.start; r < b.end; r++ {
			for s := range stacks {
				in := waves.Instance{ID: fmt.Sprintf("app%02d/region%02d", s, r)}
				if chained && s > 0 {
					in.DependsOn = []string{fmt.Sprintf("app%02d/region%02d", s-1, r)}
				}
				w.Instances = append(w.Instances, in)
			}
		}
		out = append(out, w)
	}
	return out
}

// succeed is a RunFunc that returns at once, so a benchmark measures the
// scheduler alone.
func succeed(context.Context, string, waves.Instance) error { return nil }

// BenchmarkExecute measures the scheduler's own cost per instance: a
// runner that returns at once, a parallelism of 8 and three waves.
func BenchmarkExecute(b *testing.B) {
	cases := []struct {
		stacks, regions int
		chained         bool
	}{
		{1, 10, false},
		{4, 25, false},
		{20, 25, false},
		{40, 25, false},
		{40, 25, true},
	}
	for _, c := range cases {
		n := c.stacks * c.regions
		name := fmt.Sprintf("instances=%d", n)
		if c.chained {
			name += "/chained"
		}
		b.Run(name, func(b *testing.B) {
			ws := benchWaves(c.stacks, c.regions, c.chained)
			s := &waves.Scheduler{Run: succeed, Parallelism: 8, OnEvent: func(waves.Event) {}}

			for b.Loop() {
				outcomes, err := s.Execute(context.Background(), ws)
				if err != nil {
					b.Fatal(err)
				}
				if len(outcomes) != n {
					b.Fatalf("%d outcomes, want %d", len(outcomes), n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/instance")
		})
	}
}

package stackgen_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/rollout-dev/rollout/pkg/stackgen"
)

// benchRegions are 25 AWS region names: the 17 enabled on every account,
// then 8 opt-in ones. A generated project takes the first n of them.
var benchRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-southeast-1", "ap-southeast-2",
	"af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ca-west-1",
	"eu-central-2", "eu-south-1", "eu-south-2",
}

// benchModule is a stack module of built-in resources with the variables
// and outputs that a small real stack has.
const benchModule = `variable "region" {
  type = string
}

variable "stack" {
  type = string
}

variable "name" {
  type = string
}

variable "replicas" {
  type    = number
  default = 1
}

resource "terraform_data" "this" {
  input = {
    name     = var.name
    region   = var.region
    stack    = var.stack
    replicas = var.replicas
  }
}

output "name" {
  value = terraform_data.this.output.name
}

output "region" {
  value = var.region
}
`

// writeBenchProject writes a project of stacks × regions instances into a
// temporary directory and returns the path of its rollout.hcl. The regions
// are split into three waves: one region, then up to eight, then the rest.
func writeBenchProject(b *testing.B, stacks, regions int) string {
	b.Helper()
	if regions > len(benchRegions) {
		b.Fatalf("%d regions requested, but only %d are listed", regions, len(benchRegions))
	}
	dir := b.TempDir()
	module := filepath.Join(dir, "modules", "app")
	if err := os.MkdirAll(module, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(module, "main.tf"), []byte(benchModule), 0o644); err != nil {
		b.Fatal(err)
	}

	var hcl strings.Builder
	hcl.WriteString("project = \"bench\"\n\n")
	hcl.WriteString("aws {\n  endpoint  = \"http://127.0.0.1:4566\"\n  endpoints = { dynamodb = \"http://127.0.0.1:4567\" }\n}\n\n")
	hcl.WriteString("state {\n  bucket     = \"bench-tfstate\"\n  region     = \"us-east-1\"\n  lock_table = \"bench-tflock\"\n}\n\n")
	for i := range stacks {
		fmt.Fprintf(&hcl, "stack \"app%02d\" {\n  source = \"./modules/app\"\n  inputs = { name = \"app%02d-${region}\" }\n}\n\n", i, i)
	}
	fmt.Fprintf(&hcl, "region %q {\n  inputs = { replicas = 3 }\n}\n\n", benchRegions[0])
	for _, w := range splitWaves(benchRegions[:regions]) {
		fmt.Fprintf(&hcl, "wave %q {\n  regions = [%s]\n}\n\n", w.name, quoteAll(w.regions))
	}

	path := filepath.Join(dir, "rollout.hcl")
	if err := os.WriteFile(path, []byte(hcl.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

type benchWave struct {
	name    string
	regions []string
}

func splitWaves(regions []string) []benchWave {
	second := min(len(regions), 9)
	waves := []benchWave{
		{"canary", regions[:1]},
		{"second", regions[1:second]},
		{"rest", regions[second:]},
	}
	var out []benchWave
	for _, w := range waves {
		if len(w.regions) > 0 {
			out = append(out, w)
		}
	}
	return out
}

func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ")
}

// loadAndSynthesize does what `rollout synth` does between reading the
// project file and printing: load, validate and write every instance.
func loadAndSynthesize(b *testing.B, path, outDir string) []stackgen.Instance {
	b.Helper()
	p, err := config.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	instances, err := stackgen.Synthesize(p, stackgen.Options{Dir: outDir, Syntax: stackgen.Syntax15})
	if err != nil {
		b.Fatal(err)
	}
	return instances
}

// BenchmarkSynthesize1000 loads a project of 40 stacks in 25 regions and
// writes its 1,000 root modules. Each iteration writes into a new
// directory, so every file is created rather than found unchanged.
func BenchmarkSynthesize1000(b *testing.B) {
	const stacks, regions = 40, 25
	path := writeBenchProject(b, stacks, regions)
	out := b.TempDir()

	i := 0
	for b.Loop() {
		instances := loadAndSynthesize(b, path, filepath.Join(out, fmt.Sprint(i)))
		if len(instances) != stacks*regions {
			b.Fatalf("synthesized %d instances, want %d", len(instances), stacks*regions)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*stacks*regions), "ns/instance")
}

// BenchmarkSynthesizePeakHeap reports the largest heap seen while a
// project of 10, 100 and 500 instances is loaded and synthesized.
func BenchmarkSynthesizePeakHeap(b *testing.B) {
	sizes := []struct{ stacks, regions int }{{1, 10}, {4, 25}, {20, 25}}
	for _, size := range sizes {
		b.Run(fmt.Sprintf("instances=%d", size.stacks*size.regions), func(b *testing.B) {
			path := writeBenchProject(b, size.stacks, size.regions)
			out := b.TempDir()
			var peak uint64

			i := 0
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				sampler := startHeapSampler(time.Millisecond)
				b.StartTimer()

				loadAndSynthesize(b, path, filepath.Join(out, fmt.Sprint(i)))
				peak = max(peak, sampler.stop())
				i++
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// heapObjectsMetric is the bytes of heap objects, live or not yet swept:
// the heap's size at the moment it is read.
const heapObjectsMetric = "/memory/classes/heap/objects:bytes"

// heapSampler reads the heap's size at a fixed interval and keeps the
// largest value. NOTE: a peak shorter than the interval can be missed, so
// the result is a lower bound of the true peak.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startHeapSampler(interval time.Duration) *heapSampler {
	s := &heapSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			s.sample()
			select {
			case <-s.done:
				return
			case <-ticker.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) sample() {
	sample := []metrics.Sample{{Name: heapObjectsMetric}}
	metrics.Read(sample)
	s.peak = max(s.peak, sample[0].Value.Uint64())
}

// stop takes a last sample and returns the largest heap seen.
func (s *heapSampler) stop() uint64 {
	close(s.done)
	s.wg.Wait()
	s.sample()
	return s.peak
}

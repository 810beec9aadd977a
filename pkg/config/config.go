// Package config loads and checks a rollout project: one rollout.hcl that
// names the stacks, the regions they are replicated into and the waves that
// order the rollout. Every problem it finds is an hcl.Diagnostic that points
// at a file, line and column, so callers can print it as it is.
package config

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// DefaultFile is the project file read when no other is named.
const DefaultFile = "rollout.hcl"

// Project is a loaded and validated rollout.hcl.
type Project struct {
	// File is the path of the rollout.hcl this project came from.
	File string
	// Dir is the directory of File; stack sources are relative to it.
	Dir string

	Name   string
	AWS    AWS
	State  State
	Stacks []*Stack
	// Terraform is the choice of binary that runs the instances.
	Terraform TerraformSettings
	// Regions holds per-region overrides by region name.
	Regions map[string]*Region
	Waves   []*Wave

	// Warnings are diagnostics that do not stop a run, such as a region
	// that must be enabled on the account first.
	Warnings hcl.Diagnostics

	// stateRange and projectRange anchor messages that concern the whole
	// state block or the whole file.
	stateRange        hcl.Range
	projectRange      hcl.Range
	stateBucketRange  hcl.Range
	stateRegionRange  hcl.Range
	stateKeyPrefixSet bool
	waveRegions       [][]regionRef
	// src is the text of File, quoted in messages about a value that
	// cannot be decoded.
	src []byte
}

// AWS is the account, role and endpoints every instance deploys with.
type AWS struct {
	AccountID string
	RoleARN   string
	// Endpoint replaces every AWS service endpoint, for LocalStack and
	// similar emulators. Endpoints overrides it per service.
	Endpoint  string
	Endpoints map[string]string
}

// State names the S3 bucket and DynamoDB table that hold every instance's
// Terraform state and locks.
type State struct {
	Bucket    string
	Region    string
	KeyPrefix string
	LockTable string
	// Lockfile is true when states are locked with the S3 backend's
	// native lock file (use_lockfile), which Terraform and OpenTofu
	// support from 1.10.
	Lockfile bool
}

// Stack is one Terraform module and its inputs, declared once and
// replicated into every region.
type Stack struct {
	Name      string
	Source    string
	DependsOn []string
	DeclRange hcl.Range

	inputs         hcl.Expression
	sourceRange    hcl.Range
	dependsOnRange hcl.Range
}

// Region carries the overrides of one region.
type Region struct {
	Name      string
	DeclRange hcl.Range

	inputs hcl.Expression
}

// Wave is an ordered group of regions that roll out together.
type Wave struct {
	Name    string
	Regions []string
	// MaxParallel bounds how many instances of the wave run at once;
	// zero means no bound beyond the global parallelism.
	MaxParallel int
	// FailureTolerance is how many instances of the wave may fail before
	// it stops: a count, or with TolerancePercent a share of the wave.
	FailureTolerance int
	TolerancePercent bool
	DeclRange        hcl.Range
}

// Tolerance returns how many of the wave's instances may fail. A
// percentage rounds down, so "10%" of 5 instances tolerates none.
func (w *Wave) Tolerance(instances int) int {
	if w.TolerancePercent {
		return instances * w.FailureTolerance / 100
	}
	return w.FailureTolerance
}

// Instance is one stack in one region: one directory, one state key, one
// terraform run.
type Instance struct {
	Stack  *Stack
	Region string
	Wave   *Wave
}

// ID names the instance uniquely within the project, as "stack/region".
func (i Instance) ID() string { return i.Stack.Name + "/" + i.Region }

// SourceDir returns the absolute directory of the stack's module.
func (p *Project) SourceDir(s *Stack) string {
	if filepath.IsAbs(s.Source) {
		return s.Source
	}
	return filepath.Join(p.Dir, s.Source)
}

// StateKey returns the S3 key of an instance's state:
// <key_prefix>/<stack>/<region>.tfstate.
func (p *Project) StateKey(stack, region string) string {
	key := stack + "/" + region + ".tfstate"
	if p.State.KeyPrefix == "" {
		return key
	}
	return p.State.KeyPrefix + "/" + key
}

// Instances lists every instance in rollout order: waves in file order,
// regions in wave order, stacks in file order.
func (p *Project) Instances() []Instance {
	var out []Instance
	for _, w := range p.Waves {
		for _, r := range w.Regions {
			for _, s := range p.Stacks {
				out = append(out, Instance{Stack: s, Region: r, Wave: w})
			}
		}
	}
	return out
}

// Wave returns the wave with the given name, or nil.
func (p *Project) Wave(name string) *Wave {
	for _, w := range p.Waves {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// WaveNames lists the names of all waves in order, for messages.
func (p *Project) WaveNames() []string {
	names := make([]string, len(p.Waves))
	for i, w := range p.Waves {
		names[i] = w.Name
	}
	return names
}

// Inputs evaluates the inputs of one instance: the stack's inputs, then the
// region's overrides on top. In the expressions, region, stack, wave and
// project are plain strings.
func (p *Project) Inputs(in Instance) (map[string]cty.Value, hcl.Diagnostics) {
	ctx := p.evalContext(in)
	values, diags := evalObject(in.Stack.inputs, ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	if r := p.Regions[in.Region]; r != nil {
		overrides, more := evalObject(r.inputs, ctx)
		diags = append(diags, more...)
		for k, v := range overrides {
			values[k] = v
		}
	}
	return values, diags
}

// RegionOverrides returns the names set by a region block, so synthesis can
// pass an override only to modules that declare it.
func (p *Project) RegionOverrides(region string) map[string]bool {
	r := p.Regions[region]
	if r == nil || r.inputs == nil {
		return nil
	}
	names := map[string]bool{}
	for _, item := range objectItems(r.inputs) {
		names[item] = true
	}
	return names
}

func (p *Project) evalContext(in Instance) *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"region":  cty.StringVal(in.Region),
			"stack":   cty.StringVal(in.Stack.Name),
			"wave":    cty.StringVal(in.Wave.Name),
			"project": cty.StringVal(p.Name),
		},
		Functions: functions,
	}
}

func evalObject(expr hcl.Expression, ctx *hcl.EvalContext) (map[string]cty.Value, hcl.Diagnostics) {
	values := map[string]cty.Value{}
	if expr == nil {
		return values, nil
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	if v.IsNull() {
		return values, diags
	}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		r := expr.Range()
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid inputs",
			Detail:   fmt.Sprintf("inputs is %s, but it must be an object of input names and values. For example: %s.", describeValue(v), attributeExamples["inputs"]),
			Subject:  &r,
		})
	}
	for k, item := range v.AsValueMap() {
		values[k] = item
	}
	return values, diags
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

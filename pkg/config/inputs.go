package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// validateInputs evaluates the inputs of every instance once, so a mistake
// in them, such as an unknown variable or inputs that are not an object,
// is reported when the project loads and not first during synthesis. An
// error in an expression shared by many instances is reported once.
func (p *Project) validateInputs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, s := range p.Stacks {
		diags = append(diags, duplicateInputs(s.inputs)...)
	}
	for _, name := range sortedKeys(p.Regions) {
		diags = append(diags, duplicateInputs(p.Regions[name].inputs)...)
	}

	reported := map[string]bool{}
	for _, in := range p.Instances() {
		_, more := p.Inputs(in)
		for _, d := range more {
			key := fmt.Sprintf("%d %s %v", d.Severity, d.Summary, d.Subject)
			if !reported[key] {
				reported[key] = true
				diags = append(diags, d)
			}
		}
	}
	return diags
}

// duplicateInputs reports a name set twice in one inputs object, which
// HCL (v2.25) evaluates without an error, keeping the last value.
func duplicateInputs(expr hcl.Expression) hcl.Diagnostics {
	if expr == nil {
		return nil
	}
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		return nil
	}

	var out hcl.Diagnostics
	first := map[string]hcl.Range{}
	for _, pair := range pairs {
		var name string
		if d := gohcl.DecodeExpression(pair.Key, nil, &name); d.HasErrors() {
			continue
		}
		if at, ok := first[name]; ok {
			out = append(out, errorAt(pair.Key.Range().Ptr(), "Duplicate input",
				fmt.Sprintf("input %q is already set at %s. Remove one of the two.", name, at)))
			continue
		}
		first[name] = pair.Key.Range()
	}
	return out
}

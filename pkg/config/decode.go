package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
)

// decode copies the top-level content into p, block by block, and checks
// what only the raw syntax can tell: duplicate blocks and the shape of
// each attribute.
func (p *Project) decode(content *hcl.BodyContent) hcl.Diagnostics {
	p.projectRange = content.Attributes["project"].Range
	diags := gohcl.DecodeExpression(content.Attributes["project"].Expr, nil, &p.Name)
	var seen = map[string]*hcl.Block{}
	for _, block := range content.Blocks {
		switch block.Type {
		case "aws", "state":
			if first := seen[block.Type]; first != nil {
				diags = append(diags, duplicate(block, first, fmt.Sprintf("%s block", block.Type)))
				continue
			}
			seen[block.Type] = block
			if block.Type == "aws" {
				diags = append(diags, p.decodeAWS(block)...)
			} else {
				diags = append(diags, p.decodeState(block)...)
			}
		case "stack":
			diags = append(diags, p.decodeStack(block)...)
		case "region":
			diags = append(diags, p.decodeRegion(block)...)
		case "wave":
			diags = append(diags, p.decodeWave(block)...)
		}
	}
	if seen["state"] == nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing state block",
			Detail:   `Every project keeps its states in S3: add state { bucket = "...", region = "us-east-1" }.`,
			Subject:  p.projectRange.Ptr(),
		})
	}
	if !p.stateKeyPrefixSet {
		p.State.KeyPrefix = p.Name
	}
	return diags
}

func (p *Project) decodeAWS(block *hcl.Block) hcl.Diagnostics {
	var raw awsBlock
	diags := decodeBody(block.Body, &raw)
	p.AWS = AWS{AccountID: raw.AccountID, RoleARN: raw.RoleARN, Endpoint: raw.Endpoint, Endpoints: raw.Endpoints}
	return diags
}

func (p *Project) decodeState(block *hcl.Block) hcl.Diagnostics {
	var raw stateBlock
	diags := decodeBody(block.Body, &raw)
	p.stateRange = block.DefRange
	p.State = State{Bucket: raw.Bucket, Region: raw.Region, LockTable: raw.LockTable}
	if raw.KeyPrefix != nil {
		p.State.KeyPrefix = *raw.KeyPrefix
		p.stateKeyPrefixSet = true
	}
	return diags
}

func (p *Project) decodeStack(block *hcl.Block) hcl.Diagnostics {
	var raw stackBlock
	diags := decodeBody(block.Body, &raw)
	for _, s := range p.Stacks {
		if s.Name == block.Labels[0] {
			return append(diags, duplicateOf(block, s.DeclRange, fmt.Sprintf("stack %q", s.Name)))
		}
	}
	p.Stacks = append(p.Stacks, &Stack{
		Name:      block.Labels[0],
		Source:    raw.Source,
		DependsOn: raw.DependsOn,
		DeclRange: block.DefRange,
		inputs:    nullIfAbsent(raw.Inputs),

		sourceRange:    *attrRange(block, "source"),
		dependsOnRange: *attrRange(block, "depends_on"),
	})
	return diags
}

func (p *Project) decodeRegion(block *hcl.Block) hcl.Diagnostics {
	var raw regionBlock
	diags := decodeBody(block.Body, &raw)
	name := block.Labels[0]
	if r := p.Regions[name]; r != nil {
		return append(diags, duplicateOf(block, r.DeclRange, fmt.Sprintf("region %q", name)))
	}
	p.Regions[name] = &Region{Name: name, DeclRange: block.DefRange, inputs: nullIfAbsent(raw.Inputs)}
	return diags
}

func (p *Project) decodeWave(block *hcl.Block) hcl.Diagnostics {
	var raw waveBlock
	diags := decodeBody(block.Body, &raw)
	if diags.HasErrors() {
		return diags
	}
	w := &Wave{Name: block.Labels[0], DeclRange: block.DefRange}
	if raw.MaxParallel != nil {
		w.MaxParallel = *raw.MaxParallel
		if w.MaxParallel < 1 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid max_parallel",
				Detail:   fmt.Sprintf("max_parallel of wave %q is %d; it must be 1 or more. Remove it to run every region of the wave at once.", w.Name, w.MaxParallel),
				Subject:  attrRange(block, "max_parallel"),
			})
		}
	}
	regions, more := decodeRegionList(raw.Regions)
	diags = append(diags, more...)
	for _, r := range regions {
		w.Regions = append(w.Regions, r.name)
	}
	p.waveRegions = append(p.waveRegions, regions)
	p.Waves = append(p.Waves, w)
	return diags
}

// regionRef is a region name with where it was written, for messages about
// that one list element.
type regionRef struct {
	name string
	rng  hcl.Range
}

func decodeRegionList(expr hcl.Expression) ([]regionRef, hcl.Diagnostics) {
	items, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		return nil, diags
	}
	var refs []regionRef
	for _, item := range items {
		var name string
		more := gohcl.DecodeExpression(item, nil, &name)
		diags = append(diags, more...)
		if !more.HasErrors() {
			refs = append(refs, regionRef{name: name, rng: item.Range()})
		}
	}
	return refs, diags
}

// nullIfAbsent turns the empty expression gohcl leaves for a missing
// optional attribute into nil.
func nullIfAbsent(expr hcl.Expression) hcl.Expression {
	if expr == nil {
		return nil
	}
	if v, diags := expr.Value(nil); !diags.HasErrors() && v.IsNull() && v.Type() == cty.DynamicPseudoType {
		return nil
	}
	return expr
}

// objectItems lists the keys of an object constructor such as
// { a = 1, b = 2 } without evaluating its values.
func objectItems(expr hcl.Expression) []string {
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		return nil
	}
	var keys []string
	for _, pair := range pairs {
		var key string
		if d := gohcl.DecodeExpression(pair.Key, nil, &key); !d.HasErrors() {
			keys = append(keys, key)
		}
	}
	return keys
}

// decodeBody decodes a block body like gohcl.DecodeBody, and names the
// attribute in type errors, which gohcl reports without it.
func decodeBody(body hcl.Body, val any) hcl.Diagnostics {
	diags := gohcl.DecodeBody(body, nil, val)
	attrs, _ := body.JustAttributes()
	for _, d := range diags {
		if d.Subject == nil || d.Summary != "Unsuitable value type" {
			continue
		}
		for name, a := range attrs {
			if a.Expr.Range().Overlaps(*d.Subject) {
				d.Detail = fmt.Sprintf("%s: %s", name, d.Detail)
			}
		}
	}
	return diags
}

func attrRange(block *hcl.Block, name string) *hcl.Range {
	attrs, _ := block.Body.JustAttributes()
	if a, ok := attrs[name]; ok {
		return a.Expr.Range().Ptr()
	}
	return block.DefRange.Ptr()
}

func duplicate(block, first *hcl.Block, what string) *hcl.Diagnostic {
	return duplicateOf(block, first.DefRange, what)
}

func duplicateOf(block *hcl.Block, first hcl.Range, what string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + what,
		Detail:   fmt.Sprintf("%s is already declared at %s; merge the two blocks or rename one.", what, first),
		Subject:  block.DefRange.Ptr(),
	}
}

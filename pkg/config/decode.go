package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// decode copies the top-level content into p, block by block, and checks
// what only the raw syntax can tell: duplicate blocks and the shape of
// each attribute.
func (p *Project) decode(content *hcl.BodyContent) hcl.Diagnostics {
	diags := p.decodeName(content.Attributes["project"])
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
		case "terraform":
			diags = append(diags, p.decodeTerraform(block)...)
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

func (p *Project) decodeName(attr *hcl.Attribute) hcl.Diagnostics {
	p.projectRange = attr.Range
	diags := gohcl.DecodeExpression(attr.Expr, nil, &p.Name)
	diags = explainDiagnostics(diags, fileSchema, hcl.Attributes{attr.Name: attr})
	if !diags.HasErrors() && strings.TrimSpace(p.Name) == "" {
		diags = append(diags, errorAt(attr.Expr.Range().Ptr(), "Empty project name",
			fmt.Sprintf("project is %q, but the name is the default state key prefix and a tag on every resource. Set it, for example: %s.", p.Name, attributeExamples["project"])))
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
	p.stateBucketRange = *attrRange(block, "bucket")
	p.stateRegionRange = *attrRange(block, "region")
	p.State = State{Bucket: raw.Bucket, Region: raw.Region, LockTable: raw.LockTable, Lockfile: raw.Lockfile}
	if raw.KeyPrefix != nil {
		p.State.KeyPrefix = *raw.KeyPrefix
		p.stateKeyPrefixSet = true
	}
	return diags
}

func (p *Project) decodeStack(block *hcl.Block) hcl.Diagnostics {
	var raw stackBlock
	diags := decodeBody(block.Body, &raw)
	if !hclsyntax.ValidIdentifier(block.Labels[0]) {
		diags = append(diags, invalidStackName(block))
	}
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
	diags = append(diags, decodeTolerance(nullIfAbsent(raw.Tolerance), w)...)
	regions, more := p.decodeRegionList(block, w.Name, nullIfAbsent(raw.Regions))
	diags = append(diags, more...)
	for _, r := range regions {
		w.Regions = append(w.Regions, r.name)
	}
	p.waveRegions = append(p.waveRegions, regions)
	p.Waves = append(p.Waves, w)
	return diags
}

// decodeTolerance reads failure_tolerance: a whole number such as 1, or a
// percentage of the wave's instances such as "25%".
func decodeTolerance(expr hcl.Expression, w *Wave) hcl.Diagnostics {
	if expr == nil {
		return nil
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	invalid := func(value string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid failure_tolerance",
			Detail:   fmt.Sprintf("failure_tolerance of wave %q is %s; use a whole number of instances such as 1, or a percentage such as \"25%%\".", w.Name, value),
			Subject:  expr.Range().Ptr(),
		}}
	}
	switch {
	case v.IsNull():
		return invalid("null")
	case v.Type() == cty.Number:
		bf := v.AsBigFloat()
		n, acc := bf.Int64()
		if acc != big.Exact || n < 0 {
			return invalid(bf.Text('f', -1))
		}
		w.FailureTolerance = int(n)
	case v.Type() == cty.String:
		s := strings.TrimSpace(v.AsString())
		n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
		if !strings.HasSuffix(s, "%") || err != nil || n < 0 || n > 100 {
			return invalid(fmt.Sprintf("%q", v.AsString()))
		}
		w.FailureTolerance, w.TolerancePercent = n, true
	default:
		return invalid("a " + v.Type().FriendlyName())
	}
	return nil
}

// regionRef is a region name with where it was written, for messages about
// that one list element.
type regionRef struct {
	name string
	rng  hcl.Range
}

// decodeRegionList reads the regions of a wave: a static list of quoted
// region names, so each name keeps its own range for messages.
func (p *Project) decodeRegionList(block *hcl.Block, wave string, expr hcl.Expression) ([]regionRef, hcl.Diagnostics) {
	if expr == nil {
		return nil, hcl.Diagnostics{errorAt(attrRange(block, "regions"), "Missing regions",
			fmt.Sprintf("wave %q does not list its regions. Add them, for example: %s.", wave, attributeExamples["regions"]))}
	}
	items, listDiags := hcl.ExprList(expr)
	if listDiags.HasErrors() {
		return nil, hcl.Diagnostics{p.regionsNotList(wave, expr)}
	}

	var refs []regionRef
	var diags hcl.Diagnostics
	for _, item := range items {
		var name string
		if more := gohcl.DecodeExpression(item, nil, &name); more.HasErrors() {
			diags = append(diags, p.regionNotString(wave, item))
			continue
		}
		refs = append(refs, regionRef{name: name, rng: item.Range()})
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

// decodeBody decodes a block body like gohcl.DecodeBody, and adds to its
// messages the attribute a type error is about and an example of the fix.
func decodeBody(body hcl.Body, val any) hcl.Diagnostics {
	diags := gohcl.DecodeBody(body, nil, val)
	schema, _ := gohcl.ImpliedBodySchema(val)
	attrs, _ := body.JustAttributes()
	return explainDiagnostics(diags, schema, attrs)
}

func attrRange(block *hcl.Block, name string) *hcl.Range {
	attrs, _ := block.Body.JustAttributes()
	if a, ok := attrs[name]; ok {
		return a.Expr.Range().Ptr()
	}
	return block.DefRange.Ptr()
}

// duplicate reports a second block of a type that a project has at most
// one of, such as aws or state.
func duplicate(block, first *hcl.Block, what string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + what,
		Detail:   fmt.Sprintf("%s is already declared at %s. A project has one, so merge the two blocks.", what, first.DefRange),
		Subject:  block.DefRange.Ptr(),
	}
}

func duplicateOf(block *hcl.Block, first hcl.Range, what string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + what,
		Detail:   fmt.Sprintf("%s is already declared at %s. Merge the two blocks, or rename one.", what, first),
		Subject:  block.DefRange.Ptr(),
	}
}

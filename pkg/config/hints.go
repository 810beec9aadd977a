package config

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// attributeExamples shows each attribute of rollout.hcl written correctly.
// Messages about a missing or mistyped attribute end with its example, so
// the reader sees the fix next to the problem.
var attributeExamples = map[string]string{
	"project":      `project = "payments"`,
	"account_id":   `account_id = "111111111111"`,
	"role_arn":     `role_arn = "arn:aws:iam::111111111111:role/deploy"`,
	"endpoint":     `endpoint = "http://localhost:4566"`,
	"endpoints":    `endpoints = { dynamodb = "http://localhost:5000" }`,
	"bucket":       `bucket = "payments-tfstate"`,
	"region":       `region = "us-east-1"`,
	"key_prefix":   `key_prefix = "rollout"`,
	"lock_table":   `lock_table = "payments-lock"`,
	"source":       `source = "./modules/app"`,
	"depends_on":   `depends_on = ["network"]`,
	"inputs":       `inputs = { name = "value" }`,
	"regions":      `regions = ["us-east-1"]`,
	"max_parallel": `max_parallel = 2`,

	"failure_tolerance": `failure_tolerance = 1`,
}

// blockExamples shows each labelled block written on one line.
var blockExamples = map[string]string{
	"stack":  `stack "app" { source = "./modules/app" }`,
	"region": `region "eu-west-1" { inputs = { replicas = 3 } }`,
	"wave":   `wave "canary" { regions = ["us-east-1"] }`,
}

// isLabelError reports whether summary is HCL's message about a block with
// too few or too many labels, such as "Missing name for stack".
func isLabelError(summary string) bool {
	return strings.HasPrefix(summary, "Missing name for ") || strings.HasPrefix(summary, "Extraneous label for ")
}

// blockExample returns an example of the block a label error is about,
// the last word of its summary.
func blockExample(summary string) string {
	example, ok := blockExamples[summary[strings.LastIndex(summary, " ")+1:]]
	if !ok {
		return ""
	}
	return " For example: " + example + "."
}

// explainDiagnostics adds the fix to the diagnostics HCL and gohcl report
// for a body decoded against schema. Those messages name the offending
// attribute or block but often not what to write instead. attrs are the
// body's attributes, used to find which attribute an error is about. It
// drops gohcl's "value must be known" that follows a reference in a
// literal, since the first message already covers it.
func explainDiagnostics(diags hcl.Diagnostics, schema *hcl.BodySchema, attrs hcl.Attributes) hcl.Diagnostics {
	var out hcl.Diagnostics
	for i, d := range diags {
		attr := attributeAt(attrs, d.Subject)
		switch d.Summary {
		case "Missing required argument":
			for _, a := range schema.Attributes {
				if strings.Contains(d.Detail, fmt.Sprintf("%q", a.Name)) {
					d.Detail += exampleSentence(a.Name)
				}
			}
		case "Variables not allowed", "Function calls not allowed":
			if attr != nil {
				d.Detail += fmt.Sprintf(" %s takes a value written out, with text in quotes.%s", attr.Name, exampleSentence(attr.Name))
			}
		case "Unsuitable value type":
			if strings.Contains(d.Detail, "must be known") && i > 0 && overlaps(diags[i-1].Subject, d.Subject) {
				continue
			}
			if attr != nil {
				d.Detail = unsuitableValue(attr, d.Detail)
			}
		case "Unsupported argument":
			if !strings.Contains(d.Detail, "Did you mean") {
				d.Detail += validNames("arguments", attributeNames(schema))
			}
		case "Unsupported block type":
			if !strings.Contains(d.Detail, "Did you mean") {
				d.Detail += validNames("block types", blockTypes(schema))
			}
		default:
			if isLabelError(d.Summary) {
				d.Detail += blockExample(d.Summary)
			}
		}
		out = append(out, d)
	}
	return out
}

func overlaps(a, b *hcl.Range) bool {
	return a != nil && b != nil && a.Overlaps(*b)
}

// attributeAt returns the attribute whose value contains rng, or nil.
func attributeAt(attrs hcl.Attributes, rng *hcl.Range) *hcl.Attribute {
	if rng == nil {
		return nil
	}
	for _, a := range attrs {
		if a.Expr.Range().Overlaps(*rng) {
			return a
		}
	}
	return nil
}

// unsuitableValue rewrites gohcl's detail for a value that does not convert
// to the attribute's type, such as "Unsuitable value: a number is
// required", so it names the attribute, its value and an example.
func unsuitableValue(attr *hcl.Attribute, detail string) string {
	reason := strings.TrimSuffix(strings.TrimPrefix(detail, "Unsuitable value: "), ".")
	if i := strings.Index(reason, ", but have "); i >= 0 {
		reason = reason[:i]
	}
	element := ""
	if strings.HasPrefix(reason, "element ") {
		if i := strings.Index(reason, ": "); i >= 0 {
			element, reason = reason[:i], reason[i+2:]
		}
	}
	switch {
	case strings.HasPrefix(reason, "value must"):
		reason = "it must" + strings.TrimPrefix(reason, "value must")
	case reason == "null value is not allowed":
		reason = "a null value is not allowed"
	case strings.HasSuffix(reason, " required") && !strings.HasSuffix(reason, " is required"):
		reason = "a " + strings.TrimSuffix(reason, " required") + " is required"
	}
	if element != "" {
		reason = element + " is not valid: " + reason
	}

	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return fmt.Sprintf("%s: %s.%s", attr.Name, reason, exampleSentence(attr.Name))
	}
	return fmt.Sprintf("%s is %s, but %s.%s", attr.Name, describeValue(v), reason, exampleSentence(attr.Name))
}

func exampleSentence(attribute string) string {
	example, ok := attributeExamples[attribute]
	if !ok {
		return ""
	}
	return " For example: " + example + "."
}

// validNames returns the sentence that lists the valid names of a kind,
// such as "arguments", for a message about an unsupported one.
func validNames(kind string, names []string) string {
	if len(names) == 0 {
		return fmt.Sprintf(" No %s are valid here.", kind)
	}
	return fmt.Sprintf(" Valid %s here are: %s.", kind, strings.Join(names, ", "))
}

func attributeNames(schema *hcl.BodySchema) []string {
	var names []string
	for _, a := range schema.Attributes {
		names = append(names, a.Name)
	}
	sort.Strings(names)
	return names
}

func blockTypes(schema *hcl.BodySchema) []string {
	var types []string
	for _, b := range schema.Blocks {
		types = append(types, b.Type)
	}
	return types
}

// describeValue renders v for a message: a short scalar in full, anything
// else by its type.
func describeValue(v cty.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case !v.IsWhollyKnown():
		return "an unknown value"
	case v.Type() == cty.String:
		return fmt.Sprintf("the string %q", truncate(v.AsString()))
	case v.Type() == cty.Number:
		return "the number " + v.AsBigFloat().Text('g', -1)
	case v.Type() == cty.Bool:
		return fmt.Sprintf("the bool %t", v.True())
	case v.Type().IsTupleType() || v.Type().IsListType():
		return "a list"
	case v.Type().IsObjectType() || v.Type().IsMapType():
		return "an object"
	}
	return "a value of type " + v.Type().FriendlyName()
}

// sourceText returns the configuration text that rng covers, shortened for
// a message.
func (p *Project) sourceText(rng hcl.Range) string {
	return truncate(strings.TrimSpace(string(rng.SliceBytes(p.src))))
}

func truncate(s string) string {
	const maxRunes = 60
	runes := []rune(s)
	if len(runes) <= maxRunes {
		return s
	}
	return string(runes[:maxRunes]) + "..."
}

func (p *Project) regionsNotList(wave string, expr hcl.Expression) *hcl.Diagnostic {
	detail := fmt.Sprintf("regions of wave %q is %s, but it must be a list of region names in brackets.", wave, p.sourceText(expr.Range()))
	v, diags := expr.Value(nil)
	if !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
		detail += fmt.Sprintf(" Write it as regions = [%q].", v.AsString())
	} else {
		detail += fmt.Sprintf(" For example: %s.", attributeExamples["regions"])
	}
	return errorAt(expr.Range().Ptr(), "Invalid regions", detail)
}

func (p *Project) regionNotString(wave string, item hcl.Expression) *hcl.Diagnostic {
	text := p.sourceText(item.Range())
	detail := fmt.Sprintf("%s in the regions of wave %q is not a region name.", text, wave)
	if known, _ := regionKind(strings.ToLower(text)); known {
		detail += fmt.Sprintf(" Region names are quoted strings: write %q.", strings.ToLower(text))
	} else {
		detail += ` Write each region as a quoted string, such as "us-east-1".`
	}
	return errorAt(item.Range().Ptr(), "Invalid region name", detail)
}

// invalidStackName reports a stack label that cannot name a directory and
// a Terraform module block.
func invalidStackName(block *hcl.Block) *hcl.Diagnostic {
	name := block.Labels[0]
	detail := fmt.Sprintf("stack name %q is not valid. The name becomes a directory and a Terraform module name, so it must start with a letter or underscore and contain only letters, digits, underscores and hyphens.", name)
	if suggestion := identifierLike(name); suggestion != "" {
		detail += fmt.Sprintf(" Rename it, for example to %q.", suggestion)
	}
	return errorAt(block.LabelRanges[0].Ptr(), "Invalid stack name", detail)
}

// identifierLike turns name into a valid identifier for a suggestion: runs
// of other characters become one underscore, and a name that starts with a
// digit or hyphen gets a leading underscore. It returns "" when nothing
// usable is left.
func identifierLike(name string) string {
	var b strings.Builder
	gap := false
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(r)
		gap = false
	}

	s := b.String()
	if s != "" && !hclsyntax.ValidIdentifier(s) {
		s = "_" + s
	}
	if !hclsyntax.ValidIdentifier(s) {
		return ""
	}
	return s
}

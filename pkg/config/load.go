package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Error is a failed load: every diagnostic, with the parser that read the
// files so callers can print each one with its source line.
type Error struct {
	Diags  hcl.Diagnostics
	Parser *hclparse.Parser
}

func (e *Error) Error() string { return e.Diags.Error() }

// functions are the HCL functions available in inputs; a small, familiar
// subset of Terraform's.
var functions = map[string]function.Function{
	"lower":   stdlib.LowerFunc,
	"upper":   stdlib.UpperFunc,
	"format":  stdlib.FormatFunc,
	"replace": stdlib.ReplaceFunc,
	"join":    stdlib.JoinFunc,
	"split":   stdlib.SplitFunc,
	"concat":  stdlib.ConcatFunc,
	"merge":   stdlib.MergeFunc,
	"tolist":  stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
}

// fileSchema is the top level of rollout.hcl. Blocks are decoded one at a
// time so each keeps its range for messages.
var fileSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "project", Required: true}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "aws"},
		{Type: "state"},
		{Type: "terraform"},
		{Type: "stack", LabelNames: []string{"name"}},
		{Type: "region", LabelNames: []string{"name"}},
		{Type: "wave", LabelNames: []string{"name"}},
	},
}

type awsBlock struct {
	AccountID string            `hcl:"account_id,optional"`
	RoleARN   string            `hcl:"role_arn,optional"`
	Endpoint  string            `hcl:"endpoint,optional"`
	Endpoints map[string]string `hcl:"endpoints,optional"`
}

type stateBlock struct {
	Bucket    string  `hcl:"bucket"`
	Region    string  `hcl:"region"`
	KeyPrefix *string `hcl:"key_prefix,optional"`
	LockTable string  `hcl:"lock_table,optional"`
	Lockfile  bool    `hcl:"lockfile,optional"`
}

type stackBlock struct {
	Name      string         `hcl:"name,label"`
	Source    string         `hcl:"source"`
	DependsOn []string       `hcl:"depends_on,optional"`
	Inputs    hcl.Expression `hcl:"inputs,optional"`
}

type regionBlock struct {
	Name   string         `hcl:"name,label"`
	Inputs hcl.Expression `hcl:"inputs,optional"`
}

type waveBlock struct {
	Name        string         `hcl:"name,label"`
	Regions     hcl.Expression `hcl:"regions"`
	MaxParallel *int           `hcl:"max_parallel,optional"`
	Tolerance   hcl.Expression `hcl:"failure_tolerance,optional"`
}

// Load reads, decodes and validates the project file at path. On failure
// the error is an *Error holding every problem found.
func Load(path string) (*Project, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("project file %s not found: create it, or name another with --config", path)
		}
		return nil, fmt.Errorf("read project file: %w", err)
	}
	parser := hclparse.NewParser()
	p, diags := Parse(parser, src, path)
	if diags.HasErrors() {
		return nil, &Error{Diags: diags, Parser: parser}
	}
	return p, nil
}

// Parse decodes and validates project source that came from path. It reads
// the file system only to check that stack sources exist.
func Parse(parser *hclparse.Parser, src []byte, path string) (*Project, hcl.Diagnostics) {
	file, diags := parser.ParseHCL(src, path)
	if diags.HasErrors() {
		return nil, diags
	}
	content, more := file.Body.Content(fileSchema)
	diags = append(diags, explainDiagnostics(more, fileSchema, content.Attributes)...)
	if diags.HasErrors() {
		return nil, diags
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	p := &Project{File: path, Dir: filepath.Dir(abs), Regions: map[string]*Region{}, src: src}
	diags = append(diags, p.decode(content)...)
	if diags.HasErrors() {
		return nil, diags
	}
	diags = append(diags, p.validate()...)
	if diags.HasErrors() {
		return nil, diags
	}
	p.Warnings = diags
	return p, nil
}

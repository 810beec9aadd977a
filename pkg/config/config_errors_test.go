package config_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// brokenCase is validProject broken in one way, by replacing the first
// replace[0] with replace[1]. The first error must be on line, and its
// message must contain value and fix.
type brokenCase struct {
	name    string
	replace [2]string
	line    int
	// value is the offending value as the message quotes it.
	value string
	// fix is the part of the message that says what to write instead.
	fix string
}

var brokenCases = []brokenCase{
	// Region names in waves.
	{
		name:    "region typo",
		replace: [2]string{`["us-east-1"]`, `["us-est-1"]`},
		line:    28, value: `"us-est-1" is not an AWS region`, fix: `Did you mean "us-east-1"?`,
	},
	{
		name:    "uppercase region",
		replace: [2]string{`["us-east-1"]`, `["US-EAST-1"]`},
		line:    28, value: `"US-EAST-1"`, fix: `Did you mean "us-east-1"? Region codes are lowercase`,
	},
	{
		name:    "unknown region without suggestion",
		replace: [2]string{`["us-east-1"]`, `["mars-north-9"]`},
		line:    28, value: `"mars-north-9"`, fix: `Use a region code such as "us-east-1"`,
	},
	{
		name:    "unquoted region",
		replace: [2]string{`["us-east-1"]`, `[us-east-1]`},
		line:    28, value: `us-east-1 in the regions of wave "canary"`, fix: `write "us-east-1"`,
	},
	{
		name:    "region element not a string",
		replace: [2]string{`["us-east-1"]`, `[["us-east-1"]]`},
		line:    28, value: `["us-east-1"] in the regions of wave "canary"`, fix: "Write each region as a quoted string",
	},
	{
		name:    "regions not a list",
		replace: [2]string{`regions = ["us-east-1"]`, `regions = "us-east-1"`},
		line:    28, value: `regions of wave "canary" is "us-east-1"`, fix: `regions = ["us-east-1"]`,
	},
	{
		name:    "wave without regions",
		replace: [2]string{`  regions = ["us-east-1"]` + "\n", ``},
		line:    27, value: `wave "canary"`, fix: `regions = ["us-east-1"]`,
	},
	{
		name:    "empty wave",
		replace: [2]string{`regions = ["us-east-1"]`, `regions = []`},
		line:    27, value: `wave "canary" has no regions`, fix: "list at least one",
	},
	{
		name:    "region in two waves",
		replace: [2]string{`"eu-central-1"]`, `"us-east-1"]`},
		line:    32, value: `region "us-east-1" is already in wave "canary"`, fix: "remove it from one of them",
	},
	{
		name:    "region twice in a wave",
		replace: [2]string{`"eu-central-1"]`, `"eu-west-1"]`},
		line:    32, value: `region "eu-west-1" is already listed in wave "europe"`, fix: "remove one",
	},

	// Waves.
	{
		name:    "empty wave name",
		replace: [2]string{`wave "europe"`, `wave ""`},
		line:    31, value: `wave name "" is empty`, fix: `Name it, for example: wave "canary"`,
	},
	{
		name:    "duplicate wave",
		replace: [2]string{`wave "europe"`, `wave "canary"`},
		line:    31, value: `wave "canary" is already declared`, fix: "rename one",
	},
	{
		name:    "zero max_parallel",
		replace: [2]string{`max_parallel = 2`, `max_parallel = 0`},
		line:    33, value: `max_parallel of wave "europe" is 0`, fix: "1 or more",
	},
	{
		name:    "negative failure_tolerance",
		replace: [2]string{`max_parallel = 2`, `failure_tolerance = -1`},
		line:    33, value: `failure_tolerance of wave "europe" is -1`, fix: "whole number",
	},
	{
		name:    "failure_tolerance above 100%",
		replace: [2]string{`max_parallel = 2`, `failure_tolerance = "150%"`},
		line:    33, value: `"150%"`, fix: "a percentage such as",
	},
	{
		name:    "negative max_parallel",
		replace: [2]string{`max_parallel = 2`, `max_parallel = -3`},
		line:    33, value: `max_parallel of wave "europe" is -3`, fix: "1 or more",
	},
	{
		name:    "max_parallel not a number",
		replace: [2]string{`max_parallel = 2`, `max_parallel = "two"`},
		line:    33, value: `max_parallel is the string "two"`, fix: "For example: max_parallel = 2",
	},
	{
		name:    "max_parallel not whole",
		replace: [2]string{`max_parallel = 2`, `max_parallel = 1.5`},
		line:    33, value: "max_parallel is the number 1.5", fix: "For example: max_parallel = 2",
	},
	{
		name: "no waves",
		replace: [2]string{`wave "canary" {
  regions = ["us-east-1"]
}

wave "europe" {
  regions      = ["eu-west-1", "eu-central-1"]
  max_parallel = 2
}`, ``},
		line: 2, value: "at least one wave", fix: `add wave "canary" { regions = ["us-east-1"] }`,
	},

	// Unknown attributes and blocks.
	{
		name:    "unknown attribute in wave",
		replace: [2]string{`max_parallel = 2`, `max_paralel = 2`},
		line:    33, value: `"max_paralel" is not expected here`, fix: `Did you mean "max_parallel"?`,
	},
	{
		name:    "unknown attribute in aws",
		replace: [2]string{`account_id = `, `acount_id  = `},
		line:    5, value: `"acount_id"`, fix: `Did you mean "account_id"?`,
	},
	{
		name:    "unknown attribute in state",
		replace: [2]string{`lock_table = `, `lock_tabel = `},
		line:    12, value: `"lock_tabel"`, fix: `Did you mean "lock_table"?`,
	},
	{
		name:    "unknown attribute in stack",
		replace: [2]string{`inputs = {` + "\n", `input = {` + "\n"},
		line:    17, value: `"input"`, fix: `Did you mean "inputs"?`,
	},
	{
		name:    "unknown attribute in region",
		replace: [2]string{`inputs = { size = 3 }`, `overrides = { size = 3 }`},
		line:    24, value: `"overrides"`, fix: "Valid arguments here are: inputs.",
	},
	{
		name:    "misspelled block type",
		replace: [2]string{`wave "canary" {`, `waves "canary" {`},
		line:    27, value: `"waves"`, fix: `Did you mean "wave"?`,
	},
	{
		name:    "unknown block type",
		replace: [2]string{`stack "app" {`, `module "app" {`},
		line:    15, value: `"module"`, fix: "Valid block types here are:",
	},

	// Project and state.
	{
		name:    "missing project",
		replace: [2]string{`project = "payments"`, ``},
		line:    1, value: `"project" is required`, fix: `For example: project = "payments"`,
	},
	{
		name:    "project not a string",
		replace: [2]string{`project = "payments"`, `project = ["payments"]`},
		line:    2, value: "project is a list", fix: `For example: project = "payments"`,
	},
	{
		name:    "empty project",
		replace: [2]string{`project = "payments"`, `project = ""`},
		line:    2, value: `project is ""`, fix: `Set it, for example: project = "payments"`,
	},
	{
		name: "missing state block",
		replace: [2]string{`state {
  bucket     = "payments-tfstate"
  region     = "us-east-1"
  lock_table = "payments-lock"
}`, ``},
		line: 2, value: "keeps its states in S3", fix: `add state { bucket = "...", region = "us-east-1" }`,
	},
	{
		name:    "state without bucket",
		replace: [2]string{`bucket     = "payments-tfstate"`, ``},
		line:    9, value: `"bucket" is required`, fix: `For example: bucket = "payments-tfstate"`,
	},
	{
		name:    "state without region",
		replace: [2]string{`region     = "us-east-1"`, ``},
		line:    9, value: `"region" is required`, fix: `For example: region = "us-east-1"`,
	},
	{
		name:    "state region typo",
		replace: [2]string{`region     = "us-east-1"`, `region     = "us-est-1"`},
		line:    11, value: `state region "us-est-1"`, fix: `Did you mean "us-east-1"?`,
	},
	{
		name:    "invalid bucket name",
		replace: [2]string{`"payments-tfstate"`, `"Payments_TFState"`},
		line:    10, value: `state bucket "Payments_TFState"`, fix: `For example: bucket = "payments-tfstate"`,
	},
	{
		name:    "endpoints not an object",
		replace: [2]string{`endpoint   = "http://127.0.0.1:4566"`, `endpoints  = "http://127.0.0.1:4566"`},
		line:    6, value: `endpoints is the string "http://127.0.0.1:4566"`, fix: "For example: endpoints = {",
	},
	{
		name:    "duplicate aws block",
		replace: [2]string{`state {`, "aws {\n}\n\nstate {"},
		line:    9, value: "aws block is already declared at testdata/rollout.hcl:4", fix: "merge the two blocks",
	},
	{
		name:    "duplicate state block",
		replace: [2]string{`stack "app" {`, "state {\n  bucket = \"other\"\n  region = \"us-east-1\"\n}\n\nstack \"app\" {"},
		line:    15, value: "state block is already declared at testdata/rollout.hcl:9", fix: "merge the two blocks",
	},

	// Stacks.
	{
		name:    "duplicate stack",
		replace: [2]string{`region "eu-west-1" {`, "stack \"app\" {\n  source = \"./modules/app\"\n}\n\nregion \"eu-west-1\" {"},
		line:    23, value: `stack "app" is already declared at testdata/rollout.hcl:15`, fix: "Merge the two blocks, or rename one.",
	},
	{
		name:    "stack without name",
		replace: [2]string{`stack "app" {`, `stack {`},
		line:    15, value: "Missing name for stack", fix: `For example: stack "app" {`,
	},
	{
		name:    "invalid stack name",
		replace: [2]string{`stack "app" {`, `stack "my app" {`},
		line:    15, value: `stack name "my app"`, fix: `Rename it, for example to "my_app".`,
	},
	{
		name:    "stack without source",
		replace: [2]string{`source = "./modules/app"`, ``},
		line:    15, value: `"source" is required`, fix: `For example: source = "./modules/app"`,
	},
	{
		name:    "empty source",
		replace: [2]string{`source = "./modules/app"`, `source = ""`},
		line:    16, value: `stack "app" has source ""`, fix: `for example: source = "./modules/app"`,
	},
	{
		name:    "source does not exist",
		replace: [2]string{`"./modules/app"`, `"./modules/nope"`},
		line:    16, value: `stack "app" has source "./modules/nope"`, fix: "Set source to the module's directory",
	},
	{
		name:    "source is a file",
		replace: [2]string{`"./modules/app"`, `"./modules/app/main.tf"`},
		line:    16, value: `source "./modules/app/main.tf", which is a file`, fix: `source = "./modules/app"`,
	},
	{
		name:    "source without terraform files",
		replace: [2]string{`"./modules/app"`, `"./modules/empty"`},
		line:    16, value: `source "./modules/empty"`, fix: "Point source at the directory that contains the module's Terraform files",
	},
	{
		name: "unknown dependency",
		replace: [2]string{`source = "./modules/app"`, `source = "./modules/app"
  depends_on = ["network"]`},
		line: 17, value: `depends on "network", which is not declared`, fix: `Declare stack "network", or remove it from depends_on`,
	},
	{
		name: "misspelled dependency",
		replace: [2]string{`stack "app" {
  source = "./modules/app"`, `stack "network" {
  source = "./modules/app"
}

stack "app" {
  source     = "./modules/app"
  depends_on = ["netwrok"]`},
		line: 21, value: `depends on "netwrok"`, fix: `Did you mean "network"?`,
	},
	{
		name: "stack depends on itself",
		replace: [2]string{`source = "./modules/app"`, `source = "./modules/app"
  depends_on = ["app"]`},
		line: 17, value: `stack "app" lists itself in depends_on`, fix: `Remove "app" from its depends_on`,
	},
	{
		name: "depends_on not a list",
		replace: [2]string{`source = "./modules/app"`, `source = "./modules/app"
  depends_on = "app"`},
		line: 17, value: `depends_on is the string "app"`, fix: `For example: depends_on = ["network"]`,
	},
	{
		name: "depends_on element not a string",
		replace: [2]string{`source = "./modules/app"`, `source = "./modules/app"
  depends_on = ["db", ["cache"]]`},
		line: 17, value: "depends_on is a list, but element 1 is not valid", fix: `a string is required. For example: depends_on = ["network"]`,
	},
	{
		name: "dependency cycle",
		replace: [2]string{`stack "app" {
  source = "./modules/app"`, `stack "db" {
  source     = "./modules/app"
  depends_on = ["app"]
}

stack "app" {
  source     = "./modules/app"
  depends_on = ["db"]`},
		line: 15, value: "db -> app -> db", fix: "remove one of these depends_on entries",
	},
	{
		name: "no stacks",
		replace: [2]string{`stack "app" {
  source = "./modules/app"
  inputs = {
    name = "logs-${region}"
    size = 1
  }
}`, ``},
		line: 2, value: "at least one stack", fix: `add stack "app" { source = "./modules/app" }`,
	},

	// Inputs and region blocks.
	{
		name:    "inputs not an object",
		replace: [2]string{`inputs = { size = 3 }`, `inputs = "size=3"`},
		line:    24, value: `inputs is the string "size=3"`, fix: `For example: inputs = { name = "value" }`,
	},
	{
		name:    "inputs use unknown variable",
		replace: [2]string{`"logs-${region}"`, `"logs-${regoin}"`},
		line:    18, value: `There is no variable named "regoin"`, fix: `Did you mean "region"?`,
	},
	{
		name:    "input set twice",
		replace: [2]string{`inputs = { size = 3 }`, `inputs = { size = 3, size = 4 }`},
		line:    24, value: `input "size" is already set at testdata/rollout.hcl:24`, fix: "Remove one of the two.",
	},
	{
		name:    "region block outside waves",
		replace: [2]string{`region "eu-west-1"`, `region "us-west-2"`},
		line:    23, value: `region "us-west-2" has overrides but no wave lists it`, fix: "add it to a wave's regions",
	},
	{
		name:    "region block typo",
		replace: [2]string{`region "eu-west-1"`, `region "eu-wset-1"`},
		line:    23, value: `"eu-wset-1" is not an AWS region`, fix: `Did you mean "eu-west-1"?`,
	},
	{
		name:    "duplicate region block",
		replace: [2]string{`wave "canary" {`, "region \"eu-west-1\" {\n}\n\nwave \"canary\" {"},
		line:    27, value: `region "eu-west-1" is already declared at testdata/rollout.hcl:23`, fix: "Merge the two blocks",
	},

	// Syntax.
	{
		name:    "unclosed brace",
		replace: [2]string{"lock_table = \"payments-lock\"\n}", `lock_table = "payments-lock"`},
		line:    9, value: "Unclosed configuration block", fix: "no closing brace for this block",
	},
	{
		name:    "double equals sign",
		replace: [2]string{`max_parallel = 2`, `max_parallel == 2`},
		line:    33, value: "Argument or block definition required", fix: `use the equals sign "="`,
	},
	{
		name:    "unquoted string",
		replace: [2]string{`bucket     = "payments-tfstate"`, `bucket     = payments-tfstate`},
		line:    10, value: "bucket takes a value written out", fix: `For example: bucket = "payments-tfstate"`,
	},
	{
		name:    "attribute set twice",
		replace: [2]string{`lock_table = "payments-lock"`, "lock_table = \"payments-lock\"\n  bucket     = \"other\""},
		line:    13, value: `The argument "bucket" was already set at testdata/rollout.hcl:10`, fix: "may be set only once",
	},
}

func (c brokenCase) source(t *testing.T) string {
	t.Helper()
	if !strings.Contains(validProject, c.replace[0]) {
		t.Fatalf("test case replaces %q, which is not in the project", c.replace[0])
	}
	return strings.Replace(validProject, c.replace[0], c.replace[1], 1)
}

func TestBrokenProjects(t *testing.T) {
	if len(brokenCases) < 30 {
		t.Errorf("%d broken projects, want at least 30", len(brokenCases))
	}
	file := filepath.Join("testdata", "rollout.hcl")
	for _, tt := range brokenCases {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := parse(t, tt.source(t))
			if !diags.HasErrors() {
				t.Fatal("parse succeeded, want an error")
			}
			if p != nil {
				t.Error("parse returned a project along with errors")
			}

			first := firstError(diags)
			if first.Subject == nil {
				t.Fatalf("diagnostic %q has no location", first.Error())
			}
			msg := first.Error()
			if want := fmt.Sprintf("%s:%d,", file, tt.line); !strings.HasPrefix(msg, want) {
				t.Errorf("message %q does not start with %s", msg, want)
			}
			if !strings.Contains(msg, tt.value) {
				t.Errorf("message %q lacks the value %q", msg, tt.value)
			}
			if !strings.Contains(msg, tt.fix) {
				t.Errorf("message %q lacks the fix %q", msg, tt.fix)
			}
		})
	}
}

func TestBrokenProjectsDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, tt := range brokenCases {
		src := tt.source(t)
		if other, ok := seen[src]; ok {
			t.Errorf("cases %q and %q parse the same file", other, tt.name)
		}
		seen[src] = tt.name
	}
}

func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d
		}
	}
	return nil
}

func TestOptInRegionsWarnAtLine(t *testing.T) {
	tests := []struct {
		name    string
		replace [2]string
		line    int
		want    string
	}{
		{
			name:    "opt-in region in wave",
			replace: [2]string{`"eu-central-1"]`, `"ap-east-1"]`},
			line:    32, want: `region "ap-east-1" is an opt-in region: it must be enabled on the account`,
		},
		{
			name:    "opt-in region in canary",
			replace: [2]string{`["us-east-1"]`, `["me-south-1"]`},
			line:    28, want: `region "me-south-1" is an opt-in region`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := parse(t, strings.Replace(validProject, tt.replace[0], tt.replace[1], 1))
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if len(p.Warnings) != 1 {
				t.Fatalf("warnings %v, want one", p.Warnings)
			}
			w := p.Warnings[0]
			if w.Subject == nil || w.Subject.Start.Line != tt.line {
				t.Errorf("warning at %v, want line %d", w.Subject, tt.line)
			}
			if !strings.Contains(w.Detail, tt.want) {
				t.Errorf("warning %q lacks %q", w.Detail, tt.want)
			}
		})
	}
}

package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/zclconf/go-cty/cty"
)

const validProject = `
project = "payments"

aws {
  account_id = "111111111111"
  endpoint   = "http://127.0.0.1:4566"
}

state {
  bucket     = "payments-tfstate"
  region     = "us-east-1"
  lock_table = "payments-lock"
}

stack "app" {
  source = "./modules/app"
  inputs = {
    name = "logs-${region}"
    size = 1
  }
}

region "eu-west-1" {
  inputs = { size = 3 }
}

wave "canary" {
  regions = ["us-east-1"]
}

wave "europe" {
  regions      = ["eu-west-1", "eu-central-1"]
  max_parallel = 2
}
`

// parse reads src as testdata/rollout.hcl, so stack sources resolve
// against testdata.
func parse(t *testing.T, src string) (*config.Project, hcl.Diagnostics) {
	t.Helper()
	return config.Parse(hclparse.NewParser(), []byte(src), filepath.Join("testdata", "rollout.hcl"))
}

func TestParseValidProject(t *testing.T) {
	p, diags := parse(t, validProject)
	if diags.HasErrors() {
		t.Fatalf("unexpected errors: %s", diags.Error())
	}
	if p.Name != "payments" || p.State.KeyPrefix != "payments" {
		t.Errorf("name %q, key prefix %q: want payments for both", p.Name, p.State.KeyPrefix)
	}
	if got := p.StateKey("app", "eu-west-1"); got != "payments/app/eu-west-1.tfstate" {
		t.Errorf("state key %q", got)
	}
	var ids []string
	for _, in := range p.Instances() {
		ids = append(ids, in.Wave.Name+":"+in.ID())
	}
	if got := strings.Join(ids, " "); got != "canary:app/us-east-1 europe:app/eu-west-1 europe:app/eu-central-1" {
		t.Errorf("instances %s", got)
	}
	if w := p.Wave("europe"); w == nil || w.MaxParallel != 2 {
		t.Errorf("wave europe: %+v", w)
	}
}

func TestInputsUseRegionAndOverrides(t *testing.T) {
	p, diags := parse(t, validProject)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	tests := []struct {
		region string
		name   string
		size   int64
	}{
		{"us-east-1", "logs-us-east-1", 1},
		{"eu-west-1", "logs-eu-west-1", 3},
	}
	for _, tt := range tests {
		var in config.Instance
		for _, candidate := range p.Instances() {
			if candidate.Region == tt.region {
				in = candidate
			}
		}
		values, diags := p.Inputs(in)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", tt.region, diags.Error())
		}
		if got := values["name"]; !got.RawEquals(cty.StringVal(tt.name)) {
			t.Errorf("%s: name %#v, want %q", tt.region, got, tt.name)
		}
		if got, _ := values["size"].AsBigFloat().Int64(); got != tt.size {
			t.Errorf("%s: size %d, want %d", tt.region, got, tt.size)
		}
	}
}

func TestFailureTolerance(t *testing.T) {
	tests := []struct {
		value     string
		instances int
		want      int
	}{
		{"0", 4, 0},
		{"2", 4, 2},
		{`"50%"`, 4, 2},
		{`"10%"`, 5, 0},
		{`"100%"`, 3, 3},
	}
	for _, tt := range tests {
		src := strings.Replace(validProject, "max_parallel = 2", "max_parallel = 2\n  failure_tolerance = "+tt.value, 1)
		p, diags := parse(t, src)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", tt.value, diags.Error())
		}
		if got := p.Wave("europe").Tolerance(tt.instances); got != tt.want {
			t.Errorf("failure_tolerance %s of %d instances: %d, want %d", tt.value, tt.instances, got, tt.want)
		}
	}
}

func TestExplicitEmptyKeyPrefix(t *testing.T) {
	src := strings.Replace(validProject, `lock_table = "payments-lock"`, `lock_table = "payments-lock"
  key_prefix = ""`, 1)
	p, diags := parse(t, src)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got := p.StateKey("app", "us-east-1"); got != "app/us-east-1.tfstate" {
		t.Errorf("state key %q", got)
	}
}

func TestOptInRegionWarns(t *testing.T) {
	src := strings.Replace(validProject, `"eu-central-1"]`, `"ap-east-1"]`, 1)
	p, diags := parse(t, src)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Detail, "must be enabled on the account") {
		t.Errorf("warnings %v, want one about enabling ap-east-1", p.Warnings)
	}
}

func TestDependencyCycle(t *testing.T) {
	src := strings.Replace(validProject, `stack "app" {
  source = "./modules/app"`, `stack "db" {
  source     = "./modules/app"
  depends_on = ["app"]
}

stack "app" {
  source     = "./modules/app"
  depends_on = ["db"]`, 1)
	_, diags := parse(t, src)
	if !strings.Contains(diags.Error(), "db -> app -> db") {
		t.Errorf("message %q lacks the cycle db -> app -> db", diags.Error())
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "rollout.hcl"))
	if err == nil || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), "--config") {
		t.Errorf("error %v, want not found with a hint at --config", err)
	}
}

func TestLoadReportsAllErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rollout.hcl")
	src := strings.Replace(strings.Replace(validProject, `"us-east-1"]`, `"us-est-1"]`, 1), `"eu-central-1"]`, `"eu-west-1"]`, 1)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	var cfgErr *config.Error
	if !asConfigError(err, &cfgErr) {
		t.Fatalf("error %v is not a *config.Error", err)
	}
	if n := len(cfgErr.Diags.Errs()); n < 2 {
		t.Errorf("%d errors, want both the typo and the repeated region reported: %s", n, err)
	}
}

func asConfigError(err error, target **config.Error) bool {
	e, ok := err.(*config.Error)
	if ok {
		*target = e
	}
	return ok
}

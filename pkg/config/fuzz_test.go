package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/rollout-dev/rollout/pkg/config"
)

// FuzzParse feeds arbitrary rollout.hcl text through parsing and
// validation. Inputs it finds that fail are kept under
// testdata/fuzz/FuzzParse and run again by every go test.
func FuzzParse(f *testing.F) {
	f.Add(validProject)
	f.Add(strings.Replace(validProject, `size = 1`, `size = 1
    tags = merge({ wave = upper(wave) }, { id = format("%s-%s", project, stack) })
    zones = split(",", "a,b")`, 1))
	for _, c := range brokenCases {
		f.Add(strings.Replace(validProject, c.replace[0], c.replace[1], 1))
	}

	path := filepath.Join("testdata", "rollout.hcl")
	f.Fuzz(func(t *testing.T, src string) {
		p, diags := config.Parse(hclparse.NewParser(), []byte(src), path)

		for _, d := range diags {
			if d.Severity != hcl.DiagError {
				continue
			}
			if d.Subject == nil || d.Subject.Filename != path {
				t.Errorf("error %q has no location in %s", d.Error(), path)
			}
		}
		if diags.HasErrors() {
			if p != nil {
				t.Errorf("parse returned a project along with errors: %s", diags.Error())
			}
			return
		}
		checkAcceptedProject(t, p)
	})
}

// checkAcceptedProject checks what every project that loads without errors
// must satisfy, whatever its text.
func checkAcceptedProject(t *testing.T, p *config.Project) {
	t.Helper()
	if p == nil {
		t.Fatal("parse returned neither a project nor an error")
	}
	if len(p.Waves) == 0 {
		t.Error("project has no waves")
	}
	if len(p.Stacks) == 0 {
		t.Error("project has no stacks")
	}

	for _, s := range p.Stacks {
		if s.Name == "" || s.Name == "." || s.Name == ".." || strings.ContainsAny(s.Name, `/\`) {
			t.Errorf("stack name %q cannot be one directory of the synthesized tree", s.Name)
		}
	}

	waveOf := map[string]string{}
	for _, w := range p.Waves {
		if len(w.Regions) == 0 {
			t.Errorf("wave %q has no regions", w.Name)
		}
		for _, r := range w.Regions {
			if other, ok := waveOf[r]; ok {
				t.Errorf("region %q is in wave %q and in wave %q", r, other, w.Name)
			}
			waveOf[r] = w.Name
		}
	}

	keys := map[string]string{}
	for _, in := range p.Instances() {
		key := p.StateKey(in.Stack.Name, in.Region)
		if other, ok := keys[key]; ok {
			t.Errorf("instances %s and %s share the state key %s", other, in.ID(), key)
		}
		keys[key] = in.ID()
		if _, diags := p.Inputs(in); diags.HasErrors() {
			t.Errorf("inputs of %s fail after a clean load: %s", in.ID(), diags.Error())
		}
	}
}

package config_test

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTerraformBlock(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join("testdata", "bin", "tofu"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		block       string
		wantBinary  string
		wantVersion string
		wantPath    string
	}{
		{"absent", "", "", "", ""},
		{"empty", "terraform {}", "", "", ""},
		{"tofu pinned", `terraform {
  binary  = "tofu"
  version = "1.6.3"
}`, "tofu", "1.6.3", ""},
		{"prerelease pinned", `terraform { version = "1.10.0-beta1" }`, "", "1.10.0-beta1", ""},
		{"relative path", `terraform { path = "bin/tofu" }`, "", "", abs},
		{"absolute path", `terraform { path = "/opt/terraform" }`, "", "", "/opt/terraform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := parse(t, validProject+tt.block)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			got := p.Terraform
			if got.Binary != tt.wantBinary {
				t.Errorf("binary %q, want %q", got.Binary, tt.wantBinary)
			}
			if got.Version != tt.wantVersion {
				t.Errorf("version %q, want %q", got.Version, tt.wantVersion)
			}
			if got.Path != tt.wantPath {
				t.Errorf("path %q, want %q", got.Path, tt.wantPath)
			}
		})
	}
}

func TestTerraformBlockErrors(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		summary string
		detail  string
		line    int
	}{
		{"unknown binary", `terraform { binary = "terragrunt" }`, "Invalid binary", `binary is "terragrunt", but it must be "terraform" or "tofu"`, 1},
		{"version constraint", `terraform { version = ">= 1.6" }`, "Invalid version", `version is ">= 1.6", but it must be one exact version`, 1},
		{"partial version", `terraform { version = "1.6" }`, "Invalid version", `version is "1.6"`, 1},
		{"unknown attribute", `terraform { required_version = "1.6.3" }`, "Unsupported argument", "binary, path, version", 1},
		{"second block", "terraform {}\nterraform {}", "Duplicate terraform block", "terraform block is already declared at", 2},
	}
	// The blocks start on the line after validProject's last.
	first := strings.Count(validProject, "\n") + 1
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := parse(t, validProject+tt.block)
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if d.Summary != tt.summary {
				t.Errorf("summary %q, want %q", d.Summary, tt.summary)
			}
			if !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", d.Detail, tt.detail)
			}
			if d.Subject == nil || d.Subject.Start.Line != first+tt.line-1 {
				t.Errorf("subject %v, want line %d", d.Subject, first+tt.line-1)
			}
		})
	}
}

func TestStateLockfile(t *testing.T) {
	p, diags := parse(t, validProject)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if p.State.Lockfile {
		t.Error("lockfile on without being set")
	}

	src := strings.Replace(validProject, `lock_table = "payments-lock"`, "lock_table = \"payments-lock\"\n  lockfile   = true", 1)
	p, diags = parse(t, src)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if !p.State.Lockfile {
		t.Error("lockfile = true not read")
	}
	if p.State.LockTable != "payments-lock" {
		t.Errorf("lock_table %q lost beside lockfile", p.State.LockTable)
	}
}

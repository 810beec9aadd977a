package runner

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParsePlanSummary(t *testing.T) {
	tests := []struct {
		name   string
		output string
		found  bool
		want   Result
	}{
		{
			name:   "create",
			output: "  # terraform_data.site will be created\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n",
			found:  true, want: Result{Add: 1},
		},
		{
			name: "replace and update",
			output: "  # terraform_data.a must be replaced\n  # terraform_data.b will be updated in-place\n" +
				"Plan: 1 to add, 1 to change, 1 to destroy.\n\nChanges to Outputs:\n",
			found: true, want: Result{Add: 1, Change: 1, Destroy: 1, Replace: 1},
		},
		{
			name:   "outputs only",
			output: "Changes to Outputs:\n  + region = \"us-east-1\"\n",
			found:  false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Result
			if found := parsePlanSummary(tt.output, &got); found != tt.found {
				t.Fatalf("found %v, want %v", found, tt.found)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInitStampFollowsLockFile(t *testing.T) {
	dir := t.TempDir()
	in := Instance{Dir: dir, Fingerprint: "rev-1"}
	if err := os.MkdirAll(filepath.Join(dir, ".terraform"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeStamp(dir, initStamp(in))
	if readStamp(dir) != initStamp(in) {
		t.Fatal("stamp not read back")
	}

	if err := os.WriteFile(filepath.Join(dir, ".terraform.lock.hcl"), []byte("provider x {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if readStamp(dir) == initStamp(in) {
		t.Error("a changed lock file still matches the old stamp")
	}
	if other := (Instance{Dir: dir, Fingerprint: "rev-2"}); readStamp(dir) == initStamp(other) {
		t.Error("another fingerprint matches the stamp")
	}
	if initStamp(Instance{Dir: dir}) != "" {
		t.Error("an instance without a fingerprint has a stamp")
	}
}

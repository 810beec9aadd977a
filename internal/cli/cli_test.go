package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	// --chdir changes the process's directory; t.Chdir restores it after
	// the test.
	t.Chdir(".")
	var stdout, stderr strings.Builder
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestApplyNeedsWaveOrAll(t *testing.T) {
	code, _, stderr := runMain(t, "apply")
	if code != ExitFailed {
		t.Errorf("exit code %d, want %d", code, ExitFailed)
	}
	if !strings.Contains(stderr, "wave") || !strings.Contains(stderr, "all") {
		t.Errorf("stderr %q does not name --wave and --all", stderr)
	}
}

func TestValidateExample(t *testing.T) {
	code, stdout, stderr := runMain(t, "--chdir", filepath.Join("..", "..", "examples", "multi-region"), "validate")
	if code != ExitOK {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "project demo: 3 waves, 1 stack, 6 instances") {
		t.Errorf("stdout %q lacks the summary", stdout)
	}
	if !strings.Contains(stdout, "s3://demo-tfstate/demo/site/sa-east-1.tfstate") {
		t.Errorf("stdout %q lacks the sa-east-1 state key", stdout)
	}
}

func TestValidateReportsLine(t *testing.T) {
	dir := t.TempDir()
	src := "project = \"p\"\n\nstate {\n  bucket = \"p-tfstate\"\n  region = \"us-est-1\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "rollout.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runMain(t, "--chdir", dir, "validate")
	if code != ExitFailed {
		t.Errorf("exit code %d, want %d", code, ExitFailed)
	}
	if !strings.Contains(stderr, "rollout.hcl line 5") && !strings.Contains(stderr, "rollout.hcl:5") {
		t.Errorf("stderr does not point at line 5:\n%s", stderr)
	}
	if !strings.Contains(stderr, `"us-east-1"`) {
		t.Errorf("stderr does not suggest us-east-1:\n%s", stderr)
	}
}

func TestApplyWithoutTerminalNeedsYes(t *testing.T) {
	o := &applyOptions{globalOptions: &globalOptions{stdin: strings.NewReader("yes\n")}}
	if err := o.confirm(nil, nil); err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("error %v, want a hint at --yes", err)
	}
}

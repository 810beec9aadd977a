//go:build e2e

package e2e

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The plugin cache test runs cacheRuns plans of cacheInstances instances
// of a module that uses hashicorp/time, all at once.
const (
	cacheInstances = 16
	cacheRuns      = 20
	timeVersion    = "0.14.2"
)

// plannedRow matches a summary row of an instance whose plan adds the
// time_static resource.
var plannedRow = regexp.MustCompile(`(?m)^\s+[a-z0-9-]+\s+clock\s+changes\s+\+1 `)

// cacheRegions are the regions of the cacheInstances instances: AWS
// regions that are enabled on every account.
var cacheRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "sa-east-1",
}

// testPluginCache checks that instances which init in parallel share one
// provider cache without a failed init, and that the cache stores the
// provider binary once. Before each run the instances' .terraform
// directories and the cache are removed, so every run installs the
// provider into an empty cache that 16 inits need.
func testPluginCache(t *testing.T, emu *emulators, binary, binaryDir string) {
	if len(cacheRegions) != cacheInstances {
		t.Fatalf("%d regions for %d instances", len(cacheRegions), cacheInstances)
	}
	mirror := packedMirror(t)
	project := t.TempDir()
	bucket, err := newStateStore(emu)
	if err != nil {
		t.Fatal(err)
	}
	writeCacheProject(t, project, emu, bucket)
	cliConfig := filepath.Join(t.TempDir(), "cli.tfrc")
	writeFile(t, cliConfig, fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n  }\n}\n", mirror))
	env := cacheEnv(binaryDir, cliConfig, t.TempDir())
	cache := filepath.Join(project, ".rollout", "plugin-cache")

	failures := 0
	start := time.Now()
	for run := 1; run <= cacheRuns; run++ {
		resetInits(t, project, cache)
		cmd := exec.Command(filepath.Join(binDir, "rollout"), "plan", "--parallelism", fmt.Sprint(cacheInstances))
		cmd.Dir = project
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			failures++
			t.Errorf("run %d: rollout plan: %v\n%s%s", run, err, stdout.Bytes(), stderr.Bytes())
			continue
		}
		if got := len(plannedRow.FindAllIndex(stdout.Bytes(), -1)); got != cacheInstances {
			t.Errorf("run %d: %d instances planned with changes, want %d:\n%s", run, got, cacheInstances, stdout.Bytes())
		}
		checkStoredOnce(t, run, project, cache)
	}
	elapsed := time.Since(start)

	inits := cacheRuns * cacheInstances
	t.Logf("%s: %d runs of %d parallel inits, %d failed runs; %d inits, each followed by its plan, in %s: %.1f inits/s",
		binary, cacheRuns, cacheInstances, failures, inits, elapsed.Round(time.Millisecond), float64(inits)/elapsed.Seconds())
}

// packedMirror builds a filesystem mirror in the packed layout,
// HOSTNAME/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip, from
// the provider make tools built under .tools/providers. Packed, not that
// unpacked layout, because from an unpacked mirror Terraform 1.5.7 fills
// the cache with a symlink to the mirror, and the cache would then contain
// no binary of its own to count.
func packedMirror(t *testing.T) string {
	t.Helper()
	platform := runtime.GOOS + "_" + runtime.GOARCH
	name := "terraform-provider-time_v" + timeVersion
	built := filepath.Join(repoRoot, ".tools", "providers", "registry.terraform.io", "hashicorp", "time", timeVersion, platform, name)
	binary, err := os.ReadFile(built)
	if err != nil {
		t.Fatalf("hashicorp/time %s not built: %v: run make tools", timeVersion, err)
	}

	var archive bytes.Buffer
	zw := zip.NewWriter(&archive)
	header := &zip.FileHeader{Name: name, Method: zip.Deflate}
	header.SetMode(0o755)
	w, err := zw.CreateHeader(header)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(binary); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	// Terraform looks up hashicorp/time on registry.terraform.io, OpenTofu
	// on registry.opentofu.org.
	mirror := t.TempDir()
	zipName := fmt.Sprintf("terraform-provider-time_%s_%s.zip", timeVersion, platform)
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		dir := filepath.Join(mirror, host, "hashicorp", "time")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, zipName), archive.String())
	}
	return mirror
}

// writeCacheProject writes the project of the plugin cache test. Its state
// has no lock table: the test is about provider installation, and state
// locking has scripts of its own.
func writeCacheProject(t *testing.T, dir string, emu *emulators, bucket string) {
	t.Helper()
	regions := `"` + strings.Join(cacheRegions, `", "`) + `"`
	writeFile(t, filepath.Join(dir, "rollout.hcl"), fmt.Sprintf(`project = "cache"

aws {
  endpoint = %q
}

state {
  bucket = %q
  region = "us-east-1"
}

stack "clock" {
  source = "./modules/clock"
}

wave "all" {
  regions = [%s]
}
`, emu.s3, bucket, regions))

	writeFile(t, filepath.Join(dir, "modules", "clock", "main.tf"), fmt.Sprintf(`terraform {
  required_providers {
    time = {
      source  = "hashicorp/time"
      version = %q
    }
  }
}

variable "region" {
  type = string
}

resource "time_static" "clock" {
  triggers = { region = var.region }
}
`, timeVersion))
}

// cacheEnv is the environment of rollout in the plugin cache test: the
// inherited one without any Terraform or AWS settings of the user, so
// rollout picks its default cache under .rollout.
func cacheEnv(binaryDir, cliConfig, home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "AWS_") || name == "PATH" || name == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"PATH="+searchPath(binaryDir),
		"HOME="+home,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"CHECKPOINT_DISABLE=1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
	)
}

// resetInits removes every instance's .terraform directory and the
// plugin cache's contents, so the next run installs the provider again.
func resetInits(t *testing.T, project, cache string) {
	t.Helper()
	stacks := filepath.Join(project, ".rollout", "stacks")
	dirs, _ := filepath.Glob(filepath.Join(stacks, "*", "*", ".terraform"))
	for _, dir := range dirs {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(cache, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

// checkStoredOnce checks that the project contains exactly one copy of the
// provider binary, in the cache, and that every instance links to it.
func checkStoredOnce(t *testing.T, run int, project, cache string) {
	t.Helper()
	var copies []string
	err := filepath.WalkDir(project, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), "terraform-provider-time") {
			copies = append(copies, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(copies) != 1 || !strings.HasPrefix(copies[0], cache+string(filepath.Separator)) {
		t.Errorf("run %d: provider binaries %q, want exactly one, under %s", run, copies, cache)
		return
	}

	stored, err := os.Stat(copies[0])
	if err != nil {
		t.Fatal(err)
	}
	links, _ := filepath.Glob(filepath.Join(project, ".rollout", "stacks", "*", "*", ".terraform", "providers", "*", "hashicorp", "time", timeVersion, "*", "terraform-provider-time*"))
	if len(links) != cacheInstances {
		t.Errorf("run %d: %d instances have the provider installed, want %d", run, len(links), cacheInstances)
	}
	for _, link := range links {
		if info, err := os.Stat(link); err != nil || !os.SameFile(info, stored) {
			t.Errorf("run %d: %s is not the cached binary %s (%v)", run, link, copies[0], err)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

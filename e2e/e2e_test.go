//go:build e2e

// Package e2e drives the real rollout binary against LocalStack (S3) and
// moto (DynamoDB locks), both started by this harness on 127.0.0.1 and
// stopped when the tests end, failed or not. The whole suite runs once with
// Terraform and once with OpenTofu, as built by make tools.
package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rollout-dev/rollout/internal/emulatortest"
)

// repoRoot is the repository, one level above this package.
var repoRoot, _ = filepath.Abs("..")

// binDir holds the rollout binary built for this test run.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "rollout-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "rollout"), "./cmd/rollout")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build rollout: %v\n%s", err, out)
		return 1
	}
	binDir = dir
	return m.Run()
}

// emulators are the endpoint URLs the scripts use: S3 on LocalStack, and
// DynamoDB on moto through the keep-alive proxy.
type emulators struct {
	s3, dynamodb string
}

// startEmulators starts LocalStack and moto, with moto behind a keep-alive
// proxy, and stops them when t ends.
func startEmulators(t *testing.T) *emulators {
	t.Helper()
	endpoints := emulatortest.Start(t, repoRoot)
	return &emulators{s3: endpoints.LocalStack, dynamodb: keepAliveProxy(t, endpoints.Moto)}
}

// keepAliveProxy puts a reverse proxy in front of moto and returns its URL.
// moto's server closes the connection after every response, and the AWS SDK
// for Go v2 in OpenTofu 1.6 then now and again writes a lock request on a
// connection moto has just closed ("use of closed network connection"). The
// proxy keeps the connections from terraform open and takes each close from
// moto itself.
func keepAliveProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(u)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// binaries are the programs the suite runs against, by command name.
var binaries = []string{"terraform", "tofu"}

// binaryDirs returns, for each of binaries, a directory that contains only a
// link to it. The binaries come from ROLLOUT_E2E_TERRAFORM_DIR, or
// .tools/bin where make tools builds them. A missing one fails the test:
// the suite is meant to cover both.
func binaryDirs(t *testing.T) map[string]string {
	t.Helper()
	src := os.Getenv("ROLLOUT_E2E_TERRAFORM_DIR")
	if src == "" {
		src = filepath.Join(repoRoot, ".tools", "bin")
	}
	dirs := map[string]string{}
	for _, name := range binaries {
		target := filepath.Join(src, name)
		if _, err := os.Stat(target); err != nil {
			t.Errorf("%s not found at %s: run make tools, or set ROLLOUT_E2E_TERRAFORM_DIR to a directory containing terraform and tofu", name, target)
			continue
		}
		dir := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		dirs[name] = dir
	}
	if t.Failed() {
		t.FailNow()
	}
	return dirs
}

// searchPath returns PATH for processes of the run against one binary:
// rollout, the binary's own directory, and the inherited PATH without any
// directory that contains terraform or tofu, so neither name can resolve to
// another install.
func searchPath(binaryDir string) string {
	dirs := []string{binDir, binaryDir}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if !containsBinary(dir) {
			dirs = append(dirs, dir)
		}
	}
	return strings.Join(dirs, string(os.PathListSeparator))
}

func containsBinary(dir string) bool {
	for _, name := range binaries {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil && !info.IsDir() {
			return true
		}
	}
	return false
}

var scriptCounter atomic.Int64

// TestScripts runs every script in testdata, and the plugin cache test,
// once per binary: as subtests terraform and tofu that share one pair of
// emulators. In a script, $TF is the name of the binary under test.
func TestScripts(t *testing.T) {
	dirs := binaryDirs(t)
	emu := startEmulators(t)
	for _, name := range binaries {
		start := time.Now()
		var scripts time.Time
		t.Run(name, func(t *testing.T) {
			t.Run("plugin_cache", func(t *testing.T) {
				testPluginCache(t, emu, name, dirs[name])
			})
			scripts = time.Now()
			testscript.Run(t, scriptParams(emu, name, dirs[name]))
		})
		if !scripts.IsZero() {
			t.Logf("%s: plugin cache test took %s, scripts took %s", name,
				scripts.Sub(start).Round(time.Second), time.Since(scripts).Round(time.Second))
		}
	}
}

func scriptParams(emu *emulators, binary, binaryDir string) testscript.Params {
	return testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			return setupScript(env, emu, binary, binaryDir)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"s3keys":   cmdS3Keys,
			"s3get":    cmdS3Get,
			"locks":    cmdLocks,
			"subst":    cmdSubst,
			"recorder": cmdRecorder,
			"sleep":    cmdSleep,
			"exits":    cmdExits,
		},
		RequireExplicitExec: true,
	}
}

// setupScript gives each script its own state bucket and lock table, so
// scripts never see each other's states.
func setupScript(env *testscript.Env, emu *emulators, binary, binaryDir string) error {
	name, err := newStateStore(emu)
	if err != nil {
		return err
	}
	env.Setenv("BUCKET", name)
	env.Setenv("LOCK_TABLE", name)
	env.Setenv("S3_ENDPOINT", emu.s3)
	env.Setenv("DYNAMODB_ENDPOINT", emu.dynamodb)
	env.Setenv("TF", binary)
	env.Setenv("PATH", searchPath(binaryDir))
	env.Setenv("HOME", env.WorkDir)
	env.Setenv("CHECKPOINT_DISABLE", "1")
	env.Setenv("AWS_ACCESS_KEY_ID", "test")
	env.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	return nil
}

// newStateStore creates a state bucket and a lock table of one new name,
// and returns that name.
func newStateStore(emu *emulators) (string, error) {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := fmt.Sprintf("e2e-%d-%s", scriptCounter.Add(1), hex.EncodeToString(suffix))
	if err := createBucket(emu.s3, name); err != nil {
		return "", err
	}
	return name, createLockTable(emu.dynamodb, name)
}

// cmdSubst replaces @NAME@ in files with the value of environment variable
// NAME, so project files can name the script's bucket and endpoints.
func cmdSubst(ts *testscript.TestScript, neg bool, args []string) {
	for _, name := range args {
		path := ts.MkAbs(name)
		b, err := os.ReadFile(path)
		ts.Check(err)
		for _, key := range []string{"BUCKET", "LOCK_TABLE", "S3_ENDPOINT", "DYNAMODB_ENDPOINT", "WORK"} {
			b = bytes.ReplaceAll(b, []byte("@"+key+"@"), []byte(ts.Getenv(key)))
		}
		ts.Check(os.WriteFile(path, b, 0o644))
	}
}

func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// cmdExits runs a program and checks its exact exit code, which exec
// cannot: "exits 2 rollout plan --detailed-exitcode". Its output is kept
// for stdout and stderr like exec's.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	var want int
	_, err := fmt.Sscan(args[0], &want)
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("run %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// trimLines splits output into lines without blanks.
func trimLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return out
}

//go:build e2e

// Package e2e drives the real rollout binary and a real Terraform against
// LocalStack (S3) and moto (DynamoDB locks), both started by this harness
// on 127.0.0.1 and stopped when the tests end, failed or not.
package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
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

// emulators are the LocalStack and moto processes of one test.
type emulators struct {
	s3, dynamodb string // endpoint URLs
	dir          string
}

// startEmulators starts LocalStack and moto on free ports and stops them
// when t ends.
func startEmulators(t *testing.T) *emulators {
	t.Helper()
	dir := t.TempDir()
	lsPort, motoPort := freePort(t), freePort(t)
	e := &emulators{
		s3:       fmt.Sprintf("http://127.0.0.1:%d", lsPort),
		dynamodb: fmt.Sprintf("http://127.0.0.1:%d", motoPort),
		dir:      dir,
	}
	env := append(os.Environ(),
		"EMULATOR_DIR="+dir,
		fmt.Sprintf("LOCALSTACK_PORT=%d", lsPort),
		fmt.Sprintf("MOTO_PORT=%d", motoPort),
	)
	t.Cleanup(func() {
		stop := exec.Command(filepath.Join(repoRoot, "scripts", "emulators.sh"), "stop")
		stop.Env = env
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("stop emulators: %v\n%s", err, out)
		}
	})
	start := exec.Command(filepath.Join(repoRoot, "scripts", "emulators.sh"), "start")
	start.Env = env
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("start emulators: %v\n%s", err, out)
	}
	return e
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func terraformDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("ROLLOUT_E2E_TERRAFORM_DIR"); dir != "" {
		return dir
	}
	dir := filepath.Join(repoRoot, ".tools", "bin")
	if _, err := os.Stat(filepath.Join(dir, "terraform")); err != nil {
		t.Fatalf("terraform not built at %s: run make tools", dir)
	}
	return dir
}

var scriptCounter atomic.Int64

func TestScripts(t *testing.T) {
	emu := startEmulators(t)
	tfDir := terraformDir(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			return setupScript(env, emu, tfDir)
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
	})
}

// setupScript gives each script its own state bucket and lock table, so
// scripts never see each other's states.
func setupScript(env *testscript.Env, emu *emulators, tfDir string) error {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := fmt.Sprintf("e2e-%d-%s", scriptCounter.Add(1), hex.EncodeToString(suffix))
	env.Setenv("BUCKET", name)
	env.Setenv("LOCK_TABLE", name)
	env.Setenv("S3_ENDPOINT", emu.s3)
	env.Setenv("DYNAMODB_ENDPOINT", emu.dynamodb)
	env.Setenv("PATH", binDir+string(os.PathListSeparator)+tfDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	env.Setenv("HOME", env.WorkDir)
	env.Setenv("CHECKPOINT_DISABLE", "1")
	env.Setenv("AWS_ACCESS_KEY_ID", "test")
	env.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	if err := createBucket(emu.s3, name); err != nil {
		return err
	}
	return createLockTable(emu.dynamodb, name)
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

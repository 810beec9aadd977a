// Package emulatortest starts the local AWS emulators for tests that need
// them: LocalStack for S3 and STS, and moto_server for DynamoDB, through
// scripts/emulators.sh, on free ports of 127.0.0.1. They stop when the test
// ends, whether it passed or not.
package emulatortest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Endpoints are the URLs of one pair of emulators.
type Endpoints struct {
	// LocalStack serves S3, STS and CloudWatch.
	LocalStack string
	// Moto serves DynamoDB.
	Moto string
}

// Start starts the emulators with the script of the repository at
// repoRoot and registers their stop with t.Cleanup.
func Start(t testing.TB, repoRoot string) Endpoints {
	t.Helper()
	lsPort, motoPort := freePort(t), freePort(t)
	env := append(os.Environ(),
		"EMULATOR_DIR="+t.TempDir(),
		fmt.Sprintf("LOCALSTACK_PORT=%d", lsPort),
		fmt.Sprintf("MOTO_PORT=%d", motoPort),
	)
	script := filepath.Join(repoRoot, "scripts", "emulators.sh")

	t.Cleanup(func() {
		stop := exec.Command(script, "stop")
		stop.Env = env
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("stop emulators: %v\n%s", err, out)
		}
	})
	start := exec.Command(script, "start")
	start.Env = env
	begin := time.Now()
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("start emulators: %v\n%s", err, out)
	}
	t.Logf("emulators started in %s", time.Since(begin).Round(100*time.Millisecond))
	return Endpoints{
		LocalStack: fmt.Sprintf("http://127.0.0.1:%d", lsPort),
		Moto:       fmt.Sprintf("http://127.0.0.1:%d", motoPort),
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

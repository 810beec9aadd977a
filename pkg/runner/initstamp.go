package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// stampFile sits inside .terraform, so removing that directory also forces
// the next init.
const stampFile = ".terraform/rollout-init"

// initStamp returns what the stamp of a current init contains: the
// instance's fingerprint and the dependency lock file, which a provider
// upgrade changes. It returns "" when the instance has no fingerprint.
func initStamp(in Instance) string {
	if in.Fingerprint == "" {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(in.Fingerprint))
	h.Write([]byte{0})
	if lock, err := os.ReadFile(filepath.Join(in.Dir, ".terraform.lock.hcl")); err == nil {
		h.Write(lock)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func readStamp(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, stampFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// writeStamp records a successful init. A failure to write it only costs
// an init next time, so it is not reported.
func writeStamp(dir, stamp string) {
	_ = os.WriteFile(filepath.Join(dir, stampFile), []byte(stamp+"\n"), 0o644)
}

var (
	planSummary = regexp.MustCompile(`(?m)^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.`)
	replaceLine = regexp.MustCompile(`(?m)^\s*# \S+ must be replaced$`)
)

// parsePlanSummary reads the counts from the "Plan: N to add, N to change,
// N to destroy." line that Terraform and OpenTofu print after a plan, and
// reports whether it found one. A plan that changes only outputs has no
// such line; its counts stay zero and false is returned.
func parsePlanSummary(output string, res *Result) bool {
	m := planSummary.FindStringSubmatch(output)
	if m == nil {
		return false
	}
	res.Add, _ = strconv.Atoi(m[1])
	res.Change, _ = strconv.Atoi(m[2])
	res.Destroy, _ = strconv.Atoi(m[3])
	res.Replace = len(replaceLine.FindAllString(output, -1))
	return true
}

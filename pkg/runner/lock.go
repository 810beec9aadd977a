package runner

import (
	"fmt"
	"regexp"
	"strings"
)

// LockInfo describes a state lock that someone else holds, as Terraform
// printed it when it could not take the lock.
type LockInfo struct {
	ID        string
	Path      string
	Who       string
	Operation string
	Created   string
	// Dir is the instance directory, where force-unlock must run.
	Dir string
}

// UnlockCommand returns the command that releases the lock. Run it only
// when the holder is gone: releasing a live lock lets two writers race.
func (l *LockInfo) UnlockCommand(binary string) string {
	return fmt.Sprintf("%s -chdir=%s force-unlock %s", binary, l.Dir, l.ID)
}

func (l *LockInfo) String() string {
	return fmt.Sprintf("state lock %s is held by %s since %s (%s)", l.ID, l.Who, l.Created, l.Operation)
}

var lockField = regexp.MustCompile(`(?m)^\s*(ID|Path|Operation|Who|Created):\s*(.*?)\s*$`)

// parseLockInfo reads the "Lock Info" block of Terraform's error output,
// or returns nil when the output is not about a held lock.
func parseLockInfo(output, dir string) *LockInfo {
	if !strings.Contains(output, "Error acquiring the state lock") {
		return nil
	}
	info := &LockInfo{Dir: dir}
	for _, m := range lockField.FindAllStringSubmatch(output, -1) {
		switch m[1] {
		case "ID":
			info.ID = m[2]
		case "Path":
			info.Path = m[2]
		case "Operation":
			info.Operation = m[2]
		case "Who":
			info.Who = m[2]
		case "Created":
			info.Created = m[2]
		}
	}
	if info.ID == "" {
		return nil
	}
	return info
}

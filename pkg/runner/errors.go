package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// StepError is a failed terraform command of one instance.
type StepError struct {
	Step    string
	LogPath string
	Err     error
	// Lock is set when the step failed because another process holds the
	// instance's state lock.
	Lock *LockInfo

	interrupted bool
}

func (e *StepError) Error() string {
	if e.interrupted {
		return fmt.Sprintf("terraform %s interrupted", e.Step)
	}
	if e.Lock != nil {
		return fmt.Sprintf("terraform %s failed: %s", e.Step, e.Lock)
	}
	return fmt.Sprintf("terraform %s failed: %s", e.Step, lastLines(e.Err.Error(), 1))
}

func (e *StepError) Unwrap() error { return e.Err }

// Is reports an interrupted step as context.Canceled, however
// terraform-exec wrapped it.
func (e *StepError) Is(target error) bool {
	return e.interrupted && target == context.Canceled
}

// Tail returns up to n of the last non-empty lines of the instance's log,
// where Terraform's own error message is.
func (e *StepError) Tail(n int) []string {
	f, err := os.Open(e.LogPath)
	if err != nil {
		return strings.Split(lastLines(e.Err.Error(), n), "\n")
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, logMarker) {
			continue
		}
		lines = append(lines, line)
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}

// lastLines returns the last n non-empty lines of s, joined by newlines.
func lastLines(s string, n int) string {
	var kept []string
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.TrimSpace(line) != "" {
			kept = append(kept, strings.TrimSpace(line))
		}
	}
	if len(kept) > n {
		kept = kept[len(kept)-n:]
	}
	return strings.Join(kept, "\n")
}

// AsStepError returns the StepError inside err, if any.
func AsStepError(err error) (*StepError, bool) {
	var se *StepError
	ok := errors.As(err, &se)
	return se, ok
}

// Package report prints the outcome of a run: per wave, one line per
// instance with its result, resource counts and duration, a total, and
// for each failure the end of Terraform's output and the path of its log.
package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Result labels. A plan reports changes or unchanged, an apply applied or
// unchanged; failed, skipped and interrupted are common to both.
const (
	Changes     = "changes"
	Applied     = "applied"
	Unchanged   = "unchanged"
	Failed      = "failed"
	Skipped     = "skipped"
	Interrupted = "interrupted"
)

// Row is one instance's line.
type Row struct {
	Wave, Stack, Region  string
	Result               string
	Add, Change, Destroy int
	Duration             time.Duration
	// Reason is the cause of a skip.
	Reason string
	// Error, Hint, Tail and LogPath describe a failure. Hint is the next
	// step to take, when rollout can name one.
	Error   string
	Hint    string
	Tail    []string
	LogPath string
}

// Write prints rows grouped by wave, in the order given, then the total
// and the details of every failure.
func Write(w io.Writer, rows []Row, elapsed time.Duration) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	wave := ""
	for i, r := range rows {
		if r.Wave != wave || i == 0 {
			if i > 0 {
				fmt.Fprintln(tw)
			}
			wave = r.Wave
			fmt.Fprintf(tw, "wave %s\n", wave)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.Region, r.Stack, r.Result, counts(r), duration(r))
	}
	fmt.Fprintf(tw, "\n%s\n", total(rows, elapsed))
	if err := tw.Flush(); err != nil {
		return err
	}
	writeProblems(w, rows)
	return nil
}

// Detail returns what follows a row's result on one line: the resource
// counts, the reason of a skip, or the error of a failure.
func Detail(r Row) string {
	if r.Result == Failed || r.Result == Interrupted {
		return r.Error
	}
	return counts(r)
}

func counts(r Row) string {
	switch r.Result {
	case Changes, Applied, Unchanged:
		return fmt.Sprintf("+%d ~%d -%d", r.Add, r.Change, r.Destroy)
	case Skipped:
		return r.Reason
	}
	return ""
}

func duration(r Row) string {
	if r.Duration == 0 {
		return ""
	}
	return r.Duration.Round(100 * time.Millisecond).String()
}

// total counts the rows by result, in a fixed order, leaving out zeros.
func total(rows []Row, elapsed time.Duration) string {
	n := map[string]int{}
	for _, r := range rows {
		n[r.Result]++
	}
	var parts []string
	for _, label := range []string{Applied, Changes, Unchanged, Failed, Skipped, Interrupted} {
		if n[label] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[label], label))
		}
	}
	noun := "instances"
	if len(rows) == 1 {
		noun = "instance"
	}
	return fmt.Sprintf("total: %d %s: %s in %s", len(rows), noun, strings.Join(parts, ", "), elapsed.Round(100*time.Millisecond))
}

func writeProblems(w io.Writer, rows []Row) {
	for _, r := range rows {
		if r.Result != Failed && r.Result != Interrupted {
			continue
		}
		fmt.Fprintf(w, "\n%s/%s %s: %s\n", r.Stack, r.Region, r.Result, r.Error)
		for _, line := range r.Tail {
			fmt.Fprintf(w, "  | %s\n", line)
		}
		if r.Hint != "" {
			fmt.Fprintf(w, "  %s\n", r.Hint)
		}
		if r.LogPath != "" {
			fmt.Fprintf(w, "  full log: %s\n", r.LogPath)
		}
	}
}

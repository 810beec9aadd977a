package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rollout-dev/rollout/pkg/report"
)

func TestWriteGroupsByWave(t *testing.T) {
	rows := []report.Row{
		{Wave: "canary", Stack: "site", Region: "us-east-1", Result: report.Applied, Add: 2, Duration: 2100 * time.Millisecond},
		{Wave: "main", Stack: "site", Region: "eu-west-1", Result: report.Failed, Error: "terraform plan failed: boom",
			Tail: []string{"Error: boom"}, LogPath: "/runs/1/site_eu-west-1.log"},
		{Wave: "main", Stack: "site", Region: "ap-southeast-2", Result: report.Unchanged},
		{Wave: "last", Stack: "site", Region: "ca-central-1", Result: report.Skipped, Reason: `wave "main" failed`},
	}
	var out strings.Builder
	if err := report.Write(&out, rows, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"wave canary\n  us-east-1  site  applied  +2 ~0 -0  2.1s\n",
		"wave main\n",
		"eu-west-1       site  failed",
		"wave last\n  ca-central-1  site  skipped  wave \"main\" failed",
		"total: 4 instances: 1 applied, 1 unchanged, 1 failed, 1 skipped in 5s\n",
		"site/eu-west-1 failed: terraform plan failed: boom\n  | Error: boom\n  full log: /runs/1/site_eu-west-1.log\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ca-central-1 failed") {
		t.Errorf("a skipped instance is listed among the failures:\n%s", got)
	}
}

func TestDetail(t *testing.T) {
	tests := []struct {
		row  report.Row
		want string
	}{
		{report.Row{Result: report.Changes, Add: 1, Change: 2, Destroy: 3}, "+1 ~2 -3"},
		{report.Row{Result: report.Skipped, Reason: "dependency network/us-east-1 failed"}, "dependency network/us-east-1 failed"},
		{report.Row{Result: report.Interrupted, Error: "terraform apply interrupted"}, "terraform apply interrupted"},
	}
	for _, tt := range tests {
		if got := report.Detail(tt.row); got != tt.want {
			t.Errorf("Detail(%s) = %q, want %q", tt.row.Result, got, tt.want)
		}
	}
}

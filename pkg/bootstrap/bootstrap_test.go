package bootstrap

import (
	"context"
	"strings"
	"testing"

	"github.com/rollout-dev/rollout/pkg/config"
)

func TestRunCreatesThenExists(t *testing.T) {
	s3, ddb := newFakeS3(), newFakeDynamoDB()
	b := newTestBootstrapper(s3, ddb)
	state := config.State{Bucket: "state", Region: "eu-west-1", LockTable: "locks"}

	first, err := b.Run(context.Background(), state)
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	want := []string{
		"state bucket state (eu-west-1): created: versioning enabled, encryption enabled, public access blocked",
		"lock table locks (eu-west-1): created",
	}
	assertLines(t, first, want)
	if AllExisted(first) {
		t.Error("AllExisted is true after the first run")
	}

	second, err := b.Run(context.Background(), state)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	want = []string{
		"state bucket state (eu-west-1): exists",
		"lock table locks (eu-west-1): exists",
	}
	assertLines(t, second, want)
	if !AllExisted(second) {
		t.Error("AllExisted is false after the second run")
	}
	if len(s3.creates) != 1 || len(ddb.creates) != 1 {
		t.Errorf("%d CreateBucket and %d CreateTable calls over two runs, want 1 each", len(s3.creates), len(ddb.creates))
	}
}

func TestRunWithoutLockTable(t *testing.T) {
	s3, ddb := newFakeS3(), newFakeDynamoDB()
	s3.buckets["state"] = fullyConfigured("us-east-1")
	b := newTestBootstrapper(s3, ddb)

	results, err := b.Run(context.Background(), config.State{Bucket: "state", Region: "us-east-1"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	assertLines(t, results, []string{
		"state bucket state (us-east-1): exists",
		"lock table: skipped (state.lock_table is not set, so Terraform gets no DynamoDB locking)",
	})
	if !AllExisted(results) {
		t.Error("AllExisted is false, want true: nothing was created")
	}
	if ddb.describes != 0 {
		t.Errorf("%d DescribeTable calls, want 0", ddb.describes)
	}
}

func TestRunBucketErrorSkipsTable(t *testing.T) {
	s3, ddb := newFakeS3(), newFakeDynamoDB()
	s3.foreign["state"] = true
	b := newTestBootstrapper(s3, ddb)

	results, err := b.Run(context.Background(), config.State{Bucket: "state", Region: "us-east-1", LockTable: "locks"})
	if err == nil {
		t.Fatal("Run succeeded, want the bucket's error")
	}
	if !strings.Contains(err.Error(), "state bucket state") {
		t.Errorf("error %q does not name the bucket", err)
	}
	if len(results) != 0 {
		t.Errorf("results %q, want none", results)
	}
	if ddb.describes != 0 || len(ddb.creates) != 0 {
		t.Errorf("%d DescribeTable and %d CreateTable calls after the bucket failed, want 0", ddb.describes, len(ddb.creates))
	}
}

func TestRunAccountCheck(t *testing.T) {
	tests := []struct {
		name    string
		account string
		wantErr string
	}{
		{name: "same account", account: "111111111111"},
		{name: "other account", account: "222222222222",
			wantErr: "the AWS credentials belong to account 222222222222 (arn:aws:iam::222222222222:user/ci), but aws.account_id is 111111111111"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s3, ddb := newFakeS3(), newFakeDynamoDB()
			b := newTestBootstrapper(s3, ddb)
			identity := &fakeSTS{account: tt.account}
			b.STS, b.AccountID = identity, "111111111111"

			_, err := b.Run(context.Background(), config.State{Bucket: "state", Region: "us-east-1", LockTable: "locks"})
			if identity.calls != 1 {
				t.Errorf("%d GetCallerIdentity calls, want 1", identity.calls)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if len(s3.creates) != 0 || len(ddb.creates) != 0 {
				t.Errorf("resources created in the wrong account")
			}
		})
	}
}

func TestResultString(t *testing.T) {
	tests := []struct {
		result Result
		want   string
	}{
		{
			result: Result{Resource: "state bucket", Name: "b", Region: "eu-west-1", Status: Updated, Changes: []string{"versioning enabled"}},
			want:   "state bucket b (eu-west-1): updated: versioning enabled",
		},
		{
			result: Result{Resource: "lock table", Name: "t", Region: "us-east-1", Status: Exists, Note: "billing mode PROVISIONED left as it is"},
			want:   "lock table t (us-east-1): exists (billing mode PROVISIONED left as it is)",
		},
		{
			result: Result{Resource: "lock table", Status: Skipped, Note: "no table"},
			want:   "lock table: skipped (no table)",
		},
	}
	for _, tt := range tests {
		if got := tt.result.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func assertLines(t *testing.T, results []Result, want []string) {
	t.Helper()
	if len(results) != len(want) {
		t.Fatalf("%d results %v, want %d: %q", len(results), results, len(want), want)
	}
	for i, r := range results {
		if got := r.String(); got != want[i] {
			t.Errorf("result %d = %q, want %q", i, got, want[i])
		}
	}
}

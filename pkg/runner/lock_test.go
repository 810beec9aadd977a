package runner

import "testing"

// lockOutput is what Terraform 1.5.7 prints when the S3 backend's lock is
// taken.
const lockOutput = `exit status 1

Error: Error acquiring the state lock

Error message: ConditionalCheckFailedException: The conditional request
failed
Lock Info:
  ID:        0b3c1a52-6c41-6b87-2f4b-9b1f2e7c7d10
  Path:      e2e-1/e2e/site/eu-west-1.tfstate
  Operation: OperationTypeApply
  Who:       alice@build-7
  Version:   1.5.7
  Created:   2026-12-04 20:05:19.123456 +0000 UTC
  Info:

Terraform acquires a state lock to protect the state from being written
by multiple users at the same time.
`

func TestParseLockInfo(t *testing.T) {
	info := parseLockInfo(lockOutput, "/p/.rollout/stacks/site/eu-west-1")
	if info == nil {
		t.Fatal("no lock found in Terraform's lock error")
	}
	want := LockInfo{
		ID:        "0b3c1a52-6c41-6b87-2f4b-9b1f2e7c7d10",
		Path:      "e2e-1/e2e/site/eu-west-1.tfstate",
		Who:       "alice@build-7",
		Operation: "OperationTypeApply",
		Created:   "2026-12-04 20:05:19.123456 +0000 UTC",
		Dir:       "/p/.rollout/stacks/site/eu-west-1",
	}
	if *info != want {
		t.Errorf("got %+v\nwant %+v", *info, want)
	}
	if got := info.UnlockCommand("terraform"); got != "terraform -chdir=/p/.rollout/stacks/site/eu-west-1 force-unlock 0b3c1a52-6c41-6b87-2f4b-9b1f2e7c7d10" {
		t.Errorf("unlock command %q", got)
	}
}

func TestParseLockInfoIgnoresOtherErrors(t *testing.T) {
	if info := parseLockInfo("exit status 1\n\nError: Resource precondition failed\n", "/d"); info != nil {
		t.Errorf("found a lock in an unrelated error: %+v", info)
	}
}

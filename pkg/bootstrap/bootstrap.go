// Package bootstrap creates a project's Terraform state storage: the S3
// bucket that holds every instance's state and the DynamoDB table that
// holds their locks. It is safe to run again: what exists is left in place,
// and bucket settings that are missing are added.
package bootstrap

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rollout-dev/rollout/pkg/config"
)

// S3API is the part of the S3 client that bootstrap calls, so tests can
// pass a fake.
type S3API interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	PutBucketVersioning(context.Context, *s3.PutBucketVersioningInput, ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
}

// DynamoDBAPI is the part of the DynamoDB client that bootstrap calls.
type DynamoDBAPI interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
}

// STSAPI is the part of the STS client that the account check calls.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Default waits, used when the Bootstrapper fields are zero.
const (
	// DefaultBucketTimeout bounds the wait until HeadBucket finds a new
	// bucket, which can lag behind CreateBucket for a few seconds.
	DefaultBucketTimeout = 2 * time.Minute
	// DefaultTableTimeout bounds the wait for a new table to become ACTIVE.
	// NOTE: an estimate with a wide margin. On-demand tables with one key
	// usually become ACTIVE within seconds.
	DefaultTableTimeout = 5 * time.Minute
)

// Bootstrapper creates the state bucket and lock table through the clients
// it is given.
type Bootstrapper struct {
	S3       S3API
	DynamoDB DynamoDBAPI

	// STS and AccountID enable the account check: when both are set, Run
	// fails before creating anything unless the credentials belong to
	// AccountID.
	STS       STSAPI
	AccountID string

	// BucketTimeout and TableTimeout bound the waits after creation. Zero
	// means DefaultBucketTimeout and DefaultTableTimeout.
	BucketTimeout time.Duration
	TableTimeout  time.Duration
	// MinPollDelay is the first delay between polls while waiting. Zero
	// means two seconds.
	MinPollDelay time.Duration
}

// Status is the action bootstrap took on one resource.
type Status string

// The statuses of a Result.
const (
	Created Status = "created"
	Exists  Status = "exists"
	Updated Status = "updated"
	Skipped Status = "skipped"
)

// Result is the outcome for one resource.
type Result struct {
	// Resource is "state bucket" or "lock table".
	Resource string
	Name     string
	Region   string
	Status   Status
	// Changes lists the settings applied to the resource, such as
	// "versioning enabled".
	Changes []string
	// Note is extra information for the reader, such as why a resource was
	// skipped or a setting that was left as it is.
	Note string
}

// String formats the result as one line for the terminal, such as
// "state bucket b (eu-west-1): updated: versioning enabled".
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.Resource)
	if r.Name != "" {
		fmt.Fprintf(&b, " %s (%s)", r.Name, r.Region)
	}
	fmt.Fprintf(&b, ": %s", r.Status)
	if len(r.Changes) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(r.Changes, ", "))
	}
	if r.Note != "" {
		fmt.Fprintf(&b, " (%s)", r.Note)
	}
	return b.String()
}

// Run checks the account, then makes sure the state bucket and, when
// state.lock_table is set, the lock table exist with the settings rollout
// expects. It returns one result per resource handled. When the bucket
// fails, Run stops before the table, because the fix (another bucket name
// or region) may change where the table belongs.
func (b *Bootstrapper) Run(ctx context.Context, state config.State) ([]Result, error) {
	if err := b.checkAccount(ctx); err != nil {
		return nil, err
	}

	bucket, err := b.EnsureBucket(ctx, state.Bucket, state.Region)
	if err != nil {
		return nil, err
	}
	results := []Result{bucket}

	if state.LockTable == "" {
		return append(results, Result{
			Resource: "lock table",
			Status:   Skipped,
			Note:     "state.lock_table is not set, so Terraform gets no DynamoDB locking",
		}), nil
	}
	table, err := b.EnsureLockTable(ctx, state.LockTable, state.Region)
	if err != nil {
		return results, err
	}
	return append(results, table), nil
}

// AllExisted reports whether every result is Exists or Skipped, that is
// whether the run changed nothing.
func AllExisted(results []Result) bool {
	for _, r := range results {
		if r.Status != Exists && r.Status != Skipped {
			return false
		}
	}
	return true
}

func (b *Bootstrapper) checkAccount(ctx context.Context) error {
	if b.STS == nil || b.AccountID == "" {
		return nil
	}
	out, err := b.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("check AWS account: %w", err)
	}
	if got := aws.ToString(out.Account); got != b.AccountID {
		return fmt.Errorf("the AWS credentials belong to account %s (%s), but aws.account_id is %s: use credentials of account %s or correct aws.account_id",
			got, aws.ToString(out.Arn), b.AccountID, b.AccountID)
	}
	return nil
}

func (b *Bootstrapper) pollDelay() time.Duration {
	if b.MinPollDelay > 0 {
		return b.MinPollDelay
	}
	return 2 * time.Second
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

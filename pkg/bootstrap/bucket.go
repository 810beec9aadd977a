package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// usEast1 is the one region whose buckets are created without a location
// constraint: S3 rejects CreateBucket with LocationConstraint "us-east-1".
const usEast1 = "us-east-1"

// Error codes that S3 returns when a bucket has no configuration of a kind.
const (
	codeNoEncryption   = "ServerSideEncryptionConfigurationNotFoundError"
	codeNoAccessBlock  = "NoSuchPublicAccessBlockConfiguration"
	headerBucketRegion = "X-Amz-Bucket-Region"
)

// EnsureBucket creates the state bucket in region unless it exists, and
// turns on versioning, default encryption and the public access block
// wherever they are missing.
func (b *Bootstrapper) EnsureBucket(ctx context.Context, name, region string) (Result, error) {
	res := Result{Resource: "state bucket", Name: name, Region: region, Status: Exists}
	exists, err := b.bucketExists(ctx, name, region)
	if err != nil {
		return res, err
	}

	if !exists {
		created, err := b.createBucket(ctx, name, region)
		if err != nil {
			return res, err
		}
		if created {
			res.Status = Created
			res.Changes, err = b.applyBucketSettings(ctx, name, bucketSettings)
			return res, err
		}
	}

	missing, err := b.missingBucketSettings(ctx, name)
	if err != nil {
		return res, err
	}
	if len(missing) > 0 {
		res.Status = Updated
		res.Changes, err = b.applyBucketSettings(ctx, name, missing)
	}
	return res, err
}

// bucketExists reports whether the bucket exists and the credentials may use
// it. A bucket in another region, or one the credentials may not read, is an
// error that names the fix.
func (b *Bootstrapper) bucketExists(ctx context.Context, name, region string) (bool, error) {
	out, err := b.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	if err == nil {
		return true, checkBucketRegion(name, aws.ToString(out.BucketRegion), region)
	}

	var notFound *types.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		switch respErr.HTTPStatusCode() {
		case http.StatusNotFound:
			return false, nil
		case http.StatusMovedPermanently:
			return true, checkBucketRegion(name, respErr.Response.Header.Get(headerBucketRegion), region)
		case http.StatusForbidden:
			return false, fmt.Errorf("check state bucket %s: access denied, because another AWS account owns the name or the credentials lack s3:ListBucket on it: choose another state.bucket or check the credentials: %w", name, err)
		}
	}
	return false, fmt.Errorf("check state bucket %s: %w", name, err)
}

// checkBucketRegion rejects a bucket that S3 reports in another region than
// state.region, because Terraform's backend would look for it in the wrong
// place. An empty actual region means S3 returned none.
func checkBucketRegion(name, actual, expected string) error {
	if actual == "" || actual == expected {
		return nil
	}
	return fmt.Errorf("state bucket %s already exists in region %s, but state.region is %s: set state.region = %q or choose another state.bucket",
		name, actual, expected, actual)
}

// createBucket creates the bucket and waits until HeadBucket finds it. It
// returns false when S3 reports that the caller already owns the bucket,
// which happens when another run created it in the meantime.
func (b *Bootstrapper) createBucket(ctx context.Context, name, region string) (bool, error) {
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if region != usEast1 {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region),
		}
	}
	_, err := b.S3.CreateBucket(ctx, in)

	var owned *types.BucketAlreadyOwnedByYou
	var nameTaken *types.BucketAlreadyExists
	switch {
	case errors.As(err, &owned):
		return false, nil
	case errors.As(err, &nameTaken):
		return false, fmt.Errorf("create state bucket %s: the name is taken by another AWS account, and bucket names are global: choose another state.bucket", name)
	case err != nil:
		return false, fmt.Errorf("create state bucket %s in %s: %w", name, region, err)
	}

	timeout := orDefault(b.BucketTimeout, DefaultBucketTimeout)
	waiter := s3.NewBucketExistsWaiter(b.S3, func(o *s3.BucketExistsWaiterOptions) {
		o.MinDelay = b.pollDelay()
		o.MaxDelay = max(o.MinDelay, 10*o.MinDelay)
	})
	if err := waiter.Wait(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}, timeout); err != nil {
		return false, fmt.Errorf("wait for new state bucket %s (up to %s): %w", name, timeout, err)
	}
	return true, nil
}

// bucketSetting is one property of the state bucket that bootstrap checks
// and, where it is missing, applies.
type bucketSetting struct {
	// change describes the applied setting in a Result.
	change string
	isSet  func(ctx context.Context, client S3API, bucket string) (bool, error)
	apply  func(ctx context.Context, client S3API, bucket string) error
}

// bucketSettings lists every setting in the order it is applied.
var bucketSettings = []bucketSetting{
	{change: "versioning enabled", isSet: versioningEnabled, apply: enableVersioning},
	{change: "encryption enabled", isSet: encryptionEnabled, apply: enableEncryption},
	{change: "public access blocked", isSet: publicAccessBlocked, apply: blockPublicAccess},
}

func (b *Bootstrapper) missingBucketSettings(ctx context.Context, bucket string) ([]bucketSetting, error) {
	var missing []bucketSetting
	for _, s := range bucketSettings {
		ok, err := s.isSet(ctx, b.S3, bucket)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, s)
		}
	}
	return missing, nil
}

// applyBucketSettings applies each setting in turn and returns the changes
// made, also those made before a failure.
func (b *Bootstrapper) applyBucketSettings(ctx context.Context, bucket string, settings []bucketSetting) ([]string, error) {
	var changes []string
	for _, s := range settings {
		if err := s.apply(ctx, b.S3, bucket); err != nil {
			return changes, err
		}
		changes = append(changes, s.change)
	}
	return changes, nil
}

func versioningEnabled(ctx context.Context, client S3API, bucket string) (bool, error) {
	out, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		return false, fmt.Errorf("read versioning of state bucket %s: %w", bucket, err)
	}
	return out.Status == types.BucketVersioningStatusEnabled, nil
}

func enableVersioning(ctx context.Context, client S3API, bucket string) error {
	_, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		return fmt.Errorf("enable versioning of state bucket %s: %w", bucket, err)
	}
	return nil
}

// encryptionEnabled accepts any default encryption rule, so a bucket that
// uses a KMS key keeps it.
func encryptionEnabled(ctx context.Context, client S3API, bucket string) (bool, error) {
	out, err := client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if hasErrorCode(err, codeNoEncryption) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read encryption of state bucket %s: %w", bucket, err)
	}
	if out.ServerSideEncryptionConfiguration == nil {
		return false, nil
	}
	for _, rule := range out.ServerSideEncryptionConfiguration.Rules {
		if rule.ApplyServerSideEncryptionByDefault != nil && rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm != "" {
			return true, nil
		}
	}
	return false, nil
}

func enableEncryption(ctx context.Context, client S3API, bucket string) error {
	_, err := client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(bucket),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
			Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
					SSEAlgorithm: types.ServerSideEncryptionAes256,
				},
			}},
		},
	})
	if err != nil {
		return fmt.Errorf("enable encryption of state bucket %s: %w", bucket, err)
	}
	return nil
}

func publicAccessBlocked(ctx context.Context, client S3API, bucket string) (bool, error) {
	out, err := client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	if hasErrorCode(err, codeNoAccessBlock) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read public access block of state bucket %s: %w", bucket, err)
	}
	c := out.PublicAccessBlockConfiguration
	if c == nil {
		return false, nil
	}
	return aws.ToBool(c.BlockPublicAcls) && aws.ToBool(c.BlockPublicPolicy) &&
		aws.ToBool(c.IgnorePublicAcls) && aws.ToBool(c.RestrictPublicBuckets), nil
}

func blockPublicAccess(ctx context.Context, client S3API, bucket string) error {
	_, err := client.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(bucket),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
			BlockPublicAcls:       aws.Bool(true),
			BlockPublicPolicy:     aws.Bool(true),
			IgnorePublicAcls:      aws.Bool(true),
			RestrictPublicBuckets: aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("block public access to state bucket %s: %w", bucket, err)
	}
	return nil
}

func hasErrorCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

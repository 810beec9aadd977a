package bootstrap

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func newTestBootstrapper(s3 S3API, ddb DynamoDBAPI) *Bootstrapper {
	return &Bootstrapper{
		S3:            s3,
		DynamoDB:      ddb,
		MinPollDelay:  time.Millisecond,
		BucketTimeout: 5 * time.Second,
		TableTimeout:  5 * time.Second,
	}
}

var allChanges = []string{"versioning enabled", "encryption enabled", "public access blocked"}

func TestEnsureBucketCreates(t *testing.T) {
	tests := []struct {
		region         string
		wantConstraint types.BucketLocationConstraint
	}{
		{region: "us-east-1", wantConstraint: ""},
		{region: "eu-west-1", wantConstraint: "eu-west-1"},
		{region: "ap-southeast-2", wantConstraint: "ap-southeast-2"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			fake := newFakeS3()
			b := newTestBootstrapper(fake, nil)

			res, err := b.EnsureBucket(context.Background(), "state", tt.region)
			if err != nil {
				t.Fatalf("EnsureBucket: %v", err)
			}
			if res.Status != Created {
				t.Errorf("status %q, want %q", res.Status, Created)
			}
			if !slices.Equal(res.Changes, allChanges) {
				t.Errorf("changes %q, want %q", res.Changes, allChanges)
			}
			if len(fake.creates) != 1 {
				t.Fatalf("%d CreateBucket calls, want 1", len(fake.creates))
			}
			var constraint types.BucketLocationConstraint
			if cfg := fake.creates[0].CreateBucketConfiguration; cfg != nil {
				constraint = cfg.LocationConstraint
			}
			if constraint != tt.wantConstraint {
				t.Errorf("location constraint %q, want %q", constraint, tt.wantConstraint)
			}
			if tt.wantConstraint == "" && fake.creates[0].CreateBucketConfiguration != nil {
				t.Errorf("CreateBucketConfiguration set for %s, want none", tt.region)
			}
			assertConfigured(t, fake.buckets["state"])
		})
	}
}

func TestEnsureBucketExistsUnchanged(t *testing.T) {
	fake := newFakeS3()
	fake.buckets["state"] = fullyConfigured("eu-west-1")
	b := newTestBootstrapper(fake, nil)

	res, err := b.EnsureBucket(context.Background(), "state", "eu-west-1")
	if err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	if res.Status != Exists {
		t.Errorf("status %q, want %q", res.Status, Exists)
	}
	if len(res.Changes) != 0 {
		t.Errorf("changes %q, want none", res.Changes)
	}
	if len(fake.creates) != 0 || len(fake.puts) != 0 {
		t.Errorf("calls made: %d creates, puts %q; want none", len(fake.creates), fake.puts)
	}
}

func TestEnsureBucketConvergesSettings(t *testing.T) {
	kms := &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
		ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
			SSEAlgorithm:   types.ServerSideEncryptionAwsKms,
			KMSMasterKeyID: aws.String("alias/state"),
		},
	}}}
	tests := []struct {
		name        string
		bucket      func(*fakeBucket)
		wantChanges []string
	}{
		{
			name:        "bare bucket",
			bucket:      func(b *fakeBucket) { *b = fakeBucket{region: b.region} },
			wantChanges: allChanges,
		},
		{
			name:        "versioning suspended",
			bucket:      func(b *fakeBucket) { b.versioning = types.BucketVersioningStatusSuspended },
			wantChanges: []string{"versioning enabled"},
		},
		{
			name:        "one access block setting off",
			bucket:      func(b *fakeBucket) { b.block.RestrictPublicBuckets = aws.Bool(false) },
			wantChanges: []string{"public access blocked"},
		},
		{
			name:        "encryption rule without algorithm",
			bucket:      func(b *fakeBucket) { b.encryption.Rules[0].ApplyServerSideEncryptionByDefault = nil },
			wantChanges: []string{"encryption enabled"},
		},
		{
			name:        "kms encryption kept",
			bucket:      func(b *fakeBucket) { b.encryption = kms; b.versioning = "" },
			wantChanges: []string{"versioning enabled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeS3()
			fake.buckets["state"] = fullyConfigured("us-east-1")
			tt.bucket(fake.buckets["state"])
			b := newTestBootstrapper(fake, nil)

			res, err := b.EnsureBucket(context.Background(), "state", "us-east-1")
			if err != nil {
				t.Fatalf("EnsureBucket: %v", err)
			}
			if res.Status != Updated {
				t.Errorf("status %q, want %q", res.Status, Updated)
			}
			if !slices.Equal(res.Changes, tt.wantChanges) {
				t.Errorf("changes %q, want %q", res.Changes, tt.wantChanges)
			}
			if len(fake.creates) != 0 {
				t.Errorf("%d CreateBucket calls, want 0", len(fake.creates))
			}
			assertConfigured(t, fake.buckets["state"])
		})
	}

	t.Run("kms key not replaced", func(t *testing.T) {
		fake := newFakeS3()
		fake.buckets["state"] = fullyConfigured("us-east-1")
		fake.buckets["state"].encryption = kms
		b := newTestBootstrapper(fake, nil)

		if _, err := b.EnsureBucket(context.Background(), "state", "us-east-1"); err != nil {
			t.Fatalf("EnsureBucket: %v", err)
		}
		if fake.buckets["state"].encryption != kms {
			t.Errorf("encryption replaced, want the KMS rule kept")
		}
	})
}

func TestEnsureBucketOwnedByYouOnCreate(t *testing.T) {
	// HeadBucket said 404, but by the time CreateBucket ran another run had
	// created the bucket: it counts as existing and still converges.
	fake := newFakeS3()
	fake.headErr = &types.NotFound{}
	fake.createErr = &types.BucketAlreadyOwnedByYou{}
	fake.buckets["state"] = &fakeBucket{region: "us-east-1"}
	b := newTestBootstrapper(fake, nil)

	res, err := b.EnsureBucket(context.Background(), "state", "us-east-1")
	if err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	if res.Status != Updated {
		t.Errorf("status %q, want %q", res.Status, Updated)
	}
	assertConfigured(t, fake.buckets["state"])
}

func TestEnsureBucketErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*fakeS3)
		region  string
		wantErr []string
	}{
		{
			name:    "name taken on create",
			setup:   func(f *fakeS3) { f.headErr = &types.NotFound{}; f.foreign["state"] = true },
			region:  "eu-west-1",
			wantErr: []string{"state bucket state", "taken by another AWS account", "choose another state.bucket"},
		},
		{
			name:    "head forbidden",
			setup:   func(f *fakeS3) { f.foreign["state"] = true },
			region:  "eu-west-1",
			wantErr: []string{"state bucket state", "access denied", "choose another state.bucket"},
		},
		{
			name:    "other region",
			setup:   func(f *fakeS3) { f.buckets["state"] = fullyConfigured("eu-central-1") },
			region:  "eu-west-1",
			wantErr: []string{"already exists in region eu-central-1", "state.region is eu-west-1", `state.region = "eu-central-1"`},
		},
		{
			name: "moved permanently",
			setup: func(f *fakeS3) {
				f.headErr = responseError(http.StatusMovedPermanently, http.Header{"X-Amz-Bucket-Region": {"sa-east-1"}})
			},
			region:  "us-east-1",
			wantErr: []string{"already exists in region sa-east-1", "state.region is us-east-1"},
		},
		{
			name:    "head fails otherwise",
			setup:   func(f *fakeS3) { f.headErr = responseError(http.StatusInternalServerError, nil) },
			region:  "us-east-1",
			wantErr: []string{"check state bucket state"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeS3()
			tt.setup(fake)
			b := newTestBootstrapper(fake, nil)

			_, err := b.EnsureBucket(context.Background(), "state", tt.region)
			if err == nil {
				t.Fatal("EnsureBucket succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if len(fake.puts) != 0 {
				t.Errorf("settings applied after an error: %q", fake.puts)
			}
		})
	}
}

func assertConfigured(t *testing.T, b *fakeBucket) {
	t.Helper()
	if b == nil {
		t.Fatal("bucket does not exist")
	}
	if b.versioning != types.BucketVersioningStatusEnabled {
		t.Errorf("versioning %q, want Enabled", b.versioning)
	}
	if b.encryption == nil || len(b.encryption.Rules) == 0 || b.encryption.Rules[0].ApplyServerSideEncryptionByDefault == nil {
		t.Errorf("no default encryption rule")
	}
	c := b.block
	if c == nil {
		t.Fatal("no public access block")
	}
	for name, v := range map[string]*bool{
		"BlockPublicAcls":       c.BlockPublicAcls,
		"BlockPublicPolicy":     c.BlockPublicPolicy,
		"IgnorePublicAcls":      c.IgnorePublicAcls,
		"RestrictPublicBuckets": c.RestrictPublicBuckets,
	} {
		if !aws.ToBool(v) {
			t.Errorf("%s is not true", name)
		}
	}
}

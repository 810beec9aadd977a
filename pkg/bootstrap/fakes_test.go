package bootstrap

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// fakeBucket is the state of one bucket in fakeS3.
type fakeBucket struct {
	region     string
	versioning types.BucketVersioningStatus
	encryption *types.ServerSideEncryptionConfiguration
	block      *types.PublicAccessBlockConfiguration
}

// fakeS3 keeps buckets in memory and responds the way S3 does to the calls
// bootstrap makes.
type fakeS3 struct {
	mu      sync.Mutex
	buckets map[string]*fakeBucket
	// foreign names buckets that another account owns: HeadBucket returns
	// 403 and CreateBucket BucketAlreadyExists.
	foreign map[string]bool
	// headErr, when set, is what every HeadBucket returns.
	headErr error
	// createErr, when set, is what CreateBucket returns.
	createErr error

	creates []*s3.CreateBucketInput
	puts    []string
}

func newFakeS3() *fakeS3 {
	return &fakeS3{buckets: map[string]*fakeBucket{}, foreign: map[string]bool{}}
}

func (f *fakeS3) HeadBucket(_ context.Context, in *s3.HeadBucketInput, _ ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Bucket)
	switch {
	case f.headErr != nil:
		return nil, f.headErr
	case f.foreign[name]:
		return nil, responseError(http.StatusForbidden, nil)
	case f.buckets[name] != nil:
		return &s3.HeadBucketOutput{BucketRegion: aws.String(f.buckets[name].region)}, nil
	}
	return nil, &types.NotFound{}
}

func (f *fakeS3) CreateBucket(_ context.Context, in *s3.CreateBucketInput, _ ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, in)
	name := aws.ToString(in.Bucket)
	switch {
	case f.createErr != nil:
		return nil, f.createErr
	case f.foreign[name]:
		return nil, &types.BucketAlreadyExists{}
	case f.buckets[name] != nil:
		return nil, &types.BucketAlreadyOwnedByYou{}
	}
	region := "us-east-1"
	if in.CreateBucketConfiguration != nil {
		region = string(in.CreateBucketConfiguration.LocationConstraint)
	}
	f.buckets[name] = &fakeBucket{region: region}
	return &s3.CreateBucketOutput{}, nil
}

func (f *fakeS3) bucket(in *string) (*fakeBucket, error) {
	b := f.buckets[aws.ToString(in)]
	if b == nil {
		return nil, &smithy.GenericAPIError{Code: "NoSuchBucket", Message: "The specified bucket does not exist"}
	}
	return b, nil
}

func (f *fakeS3) GetBucketVersioning(_ context.Context, in *s3.GetBucketVersioningInput, _ ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	return &s3.GetBucketVersioningOutput{Status: b.versioning}, nil
}

func (f *fakeS3) PutBucketVersioning(_ context.Context, in *s3.PutBucketVersioningInput, _ ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	f.puts = append(f.puts, "versioning")
	b.versioning = in.VersioningConfiguration.Status
	return &s3.PutBucketVersioningOutput{}, nil
}

func (f *fakeS3) GetBucketEncryption(_ context.Context, in *s3.GetBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.encryption == nil {
		return nil, &smithy.GenericAPIError{Code: codeNoEncryption}
	}
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: b.encryption}, nil
}

func (f *fakeS3) PutBucketEncryption(_ context.Context, in *s3.PutBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	f.puts = append(f.puts, "encryption")
	b.encryption = in.ServerSideEncryptionConfiguration
	return &s3.PutBucketEncryptionOutput{}, nil
}

func (f *fakeS3) GetPublicAccessBlock(_ context.Context, in *s3.GetPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.block == nil {
		return nil, &smithy.GenericAPIError{Code: codeNoAccessBlock}
	}
	return &s3.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: b.block}, nil
}

func (f *fakeS3) PutPublicAccessBlock(_ context.Context, in *s3.PutPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	f.puts = append(f.puts, "public access block")
	b.block = in.PublicAccessBlockConfiguration
	return &s3.PutPublicAccessBlockOutput{}, nil
}

// responseError builds the error that the SDK returns for an HTTP status
// without an error body, as S3 sends for HEAD requests.
func responseError(status int, header http.Header) error {
	if header == nil {
		header = http.Header{}
	}
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: header}},
		Err:      errors.New(http.StatusText(status)),
	}}
}

// fullyConfigured returns a bucket with every setting bootstrap applies.
func fullyConfigured(region string) *fakeBucket {
	return &fakeBucket{
		region:     region,
		versioning: types.BucketVersioningStatusEnabled,
		encryption: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256},
		}}},
		block: &types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true),
			IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
		},
	}
}

// fakeDynamoDB keeps tables in memory. A created table reports CREATING for
// creatingPolls DescribeTable calls, then ACTIVE.
type fakeDynamoDB struct {
	mu            sync.Mutex
	tables        map[string]*ddbtypes.TableDescription
	creatingPolls int
	// createErr, when set, is what CreateTable returns.
	createErr error

	creates   []*dynamodb.CreateTableInput
	describes int
}

func newFakeDynamoDB() *fakeDynamoDB {
	return &fakeDynamoDB{tables: map[string]*ddbtypes.TableDescription{}}
}

func (f *fakeDynamoDB) DescribeTable(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describes++
	t := f.tables[aws.ToString(in.TableName)]
	if t == nil {
		return nil, &ddbtypes.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	}
	if t.TableStatus == ddbtypes.TableStatusCreating {
		if f.creatingPolls == 0 {
			t.TableStatus = ddbtypes.TableStatusActive
		} else {
			f.creatingPolls--
		}
	}
	table := *t
	return &dynamodb.DescribeTableOutput{Table: &table}, nil
}

func (f *fakeDynamoDB) CreateTable(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, in)
	if f.createErr != nil {
		return nil, f.createErr
	}
	name := aws.ToString(in.TableName)
	if f.tables[name] != nil {
		return nil, &ddbtypes.ResourceInUseException{Message: aws.String("Table already exists: " + name)}
	}
	f.tables[name] = &ddbtypes.TableDescription{
		TableName:            in.TableName,
		TableStatus:          ddbtypes.TableStatusCreating,
		KeySchema:            in.KeySchema,
		AttributeDefinitions: in.AttributeDefinitions,
		BillingModeSummary:   &ddbtypes.BillingModeSummary{BillingMode: in.BillingMode},
	}
	return &dynamodb.CreateTableOutput{}, nil
}

// lockTable returns an ACTIVE table with the key Terraform expects.
func lockTable(name string, mode ddbtypes.BillingMode) *ddbtypes.TableDescription {
	t := &ddbtypes.TableDescription{
		TableName:   aws.String(name),
		TableStatus: ddbtypes.TableStatusActive,
		KeySchema:   []ddbtypes.KeySchemaElement{{AttributeName: aws.String(lockKey), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String(lockKey), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
	}
	if mode != "" {
		t.BillingModeSummary = &ddbtypes.BillingModeSummary{BillingMode: mode}
	}
	return t
}

// fakeSTS returns a fixed account from GetCallerIdentity.
type fakeSTS struct {
	account string
	calls   int
}

func (f *fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.calls++
	return &sts.GetCallerIdentityOutput{
		Account: aws.String(f.account),
		Arn:     aws.String("arn:aws:iam::" + f.account + ":user/ci"),
	}, nil
}

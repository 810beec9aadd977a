//go:build e2e

package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/rollout-dev/rollout/internal/emulatortest"
	"github.com/rollout-dev/rollout/pkg/bootstrap"
	"github.com/rollout-dev/rollout/pkg/config"
)

// These tests start LocalStack (S3, STS) and moto_server (DynamoDB) on free
// ports of 127.0.0.1 through scripts/emulators.sh, as `make e2e` does, and
// stop them when the test ends.

// repoRoot is the repository, two levels above this package.
var repoRoot, _ = filepath.Abs(filepath.Join("..", ".."))

// emulators are the endpoints of one test's emulators.
type emulators = emulatortest.Endpoints

func startEmulators(t *testing.T) emulators {
	t.Helper()
	return emulatortest.Start(t, repoRoot)
}

// clearAWSEnvironment makes the SDK see no credentials or profiles of the
// machine, so bootstrap falls back to the emulators' test credentials. The
// variables are unset, not set empty, because LocalStack 4.14.0 fails to
// start ("No component plugins found") whenever AWS_PROFILE is set at all.
func clearAWSEnvironment(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"} {
		t.Setenv(name, "") // restores the old value when the test ends
		os.Unsetenv(name)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

// checkers are SDK clients built apart from bootstrap.New, so a mistake in
// New's endpoints cannot hide itself from the checks.
type checkers struct {
	s3       *s3.Client
	dynamodb *dynamodb.Client
}

func newCheckers(emu emulators, region, accessKey string) checkers {
	creds := credentials.NewStaticCredentialsProvider(accessKey, "test", "")
	return checkers{
		s3: s3.New(s3.Options{
			Region:       region,
			Credentials:  creds,
			BaseEndpoint: aws.String(emu.LocalStack),
			UsePathStyle: true,
		}),
		dynamodb: dynamodb.New(dynamodb.Options{
			Region:       region,
			Credentials:  creds,
			BaseEndpoint: aws.String(emu.Moto),
		}),
	}
}

func emulatorSettings(emu emulators) config.AWS {
	return config.AWS{Endpoint: emu.LocalStack, Endpoints: map[string]string{"dynamodb": emu.Moto}}
}

func runBootstrap(t *testing.T, settings config.AWS, state config.State) ([]bootstrap.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := bootstrap.New(ctx, settings, state.Region)
	if err != nil {
		t.Fatalf("bootstrap.New: %v", err)
	}
	b.MinPollDelay = 200 * time.Millisecond
	return b.Run(ctx, state)
}

func TestBootstrapEmulators(t *testing.T) {
	clearAWSEnvironment(t)
	emu := startEmulators(t)

	for _, region := range []string{"us-east-1", "eu-west-1"} {
		t.Run("twice in "+region, func(t *testing.T) {
			testTwiceInRegion(t, emu, region)
		})
	}
	t.Run("bare bucket converges", func(t *testing.T) { testBareBucketConverges(t, emu) })
	t.Run("table with other key", func(t *testing.T) { testTableWithOtherKey(t, emu) })
	t.Run("bucket in other region", func(t *testing.T) { testBucketInOtherRegion(t, emu) })
	t.Run("assumed role", func(t *testing.T) { testAssumedRole(t, emu) })
}

func testTwiceInRegion(t *testing.T, emu emulators, region string) {
	state := config.State{Bucket: "tfstate-" + region, Region: region, LockTable: "tflock-" + region}
	settings := emulatorSettings(emu)

	first, err := runBootstrap(t, settings, state)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	assertResults(t, "first run", first, []string{
		fmt.Sprintf("state bucket %s (%s): created: versioning enabled, encryption enabled, public access blocked", state.Bucket, region),
		fmt.Sprintf("lock table %s (%s): created", state.LockTable, region),
	})

	second, err := runBootstrap(t, settings, state)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	assertResults(t, "second run", second, []string{
		fmt.Sprintf("state bucket %s (%s): exists", state.Bucket, region),
		fmt.Sprintf("lock table %s (%s): exists", state.LockTable, region),
	})
	if !bootstrap.AllExisted(second) {
		t.Error("AllExisted is false after the second run")
	}

	check := newCheckers(emu, region, "test")
	assertBucketConfigured(t, check.s3, state.Bucket)
	assertBucketLocation(t, check.s3, state.Bucket, region)
	assertLockTable(t, check.dynamodb, state.LockTable)
}

// testBareBucketConverges strips a new bucket of the default encryption and
// public access block that S3, and LocalStack 4.14 alike, give every new
// bucket, so bootstrap has all three settings to apply.
func testBareBucketConverges(t *testing.T, emu emulators) {
	const region = "eu-west-1"
	state := config.State{Bucket: "tfstate-bare", Region: region}
	check := newCheckers(emu, region, "test")
	createBareBucket(t, check.s3, state.Bucket, region)

	results, err := runBootstrap(t, emulatorSettings(emu), state)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	assertResults(t, "run", results, []string{
		"state bucket tfstate-bare (eu-west-1): updated: versioning enabled, encryption enabled, public access blocked",
		"lock table: skipped (state.lock_table is not set, so Terraform gets no DynamoDB locking)",
	})
	assertBucketConfigured(t, check.s3, state.Bucket)

	again, err := runBootstrap(t, emulatorSettings(emu), state)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	assertResults(t, "second run", again, []string{
		"state bucket tfstate-bare (eu-west-1): exists",
		"lock table: skipped (state.lock_table is not set, so Terraform gets no DynamoDB locking)",
	})
}

func createBareBucket(t *testing.T, client *s3.Client, bucket, region string) {
	t.Helper()
	ctx := context.Background()
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket:                    aws.String(bucket),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)},
	})
	if err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	if _, err := client.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("delete bucket encryption: %v", err)
	}
	if _, err := client.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("delete public access block: %v", err)
	}
}

func testTableWithOtherKey(t *testing.T, emu emulators) {
	const region = "us-east-1"
	state := config.State{Bucket: "tfstate-other-key", Region: region, LockTable: "tflock-other-key"}
	check := newCheckers(emu, region, "test")
	_, err := check.dynamodb.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:   aws.String(state.LockTable),
		BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}

	results, err := runBootstrap(t, emulatorSettings(emu), state)
	if err == nil {
		t.Fatal("run succeeded, want an error about the table's key")
	}
	want := "lock table tflock-other-key has key id (S, HASH), but Terraform needs a table whose only key is the string partition key LockID"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	// The bucket comes first, so it is created before the table check fails.
	assertResults(t, "run", results, []string{
		"state bucket tfstate-other-key (us-east-1): created: versioning enabled, encryption enabled, public access blocked",
	})
}

func testBucketInOtherRegion(t *testing.T, emu emulators) {
	first := config.State{Bucket: "tfstate-moved", Region: "eu-central-1"}
	if _, err := runBootstrap(t, emulatorSettings(emu), first); err != nil {
		t.Fatalf("bootstrap in eu-central-1: %v", err)
	}

	_, err := runBootstrap(t, emulatorSettings(emu), config.State{Bucket: first.Bucket, Region: "eu-west-1"})
	if err == nil {
		t.Fatal("run succeeded, want an error about the bucket's region")
	}
	want := `state bucket tfstate-moved already exists in region eu-central-1, but state.region is eu-west-1: set state.region = "eu-central-1"`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

// testAssumedRole assumes a role through LocalStack's STS. LocalStack grants
// any role, so this checks the wiring of aws.role_arn, not IAM.
func testAssumedRole(t *testing.T, emu emulators) {
	settings := emulatorSettings(emu)
	settings.RoleARN = "arn:aws:iam::000000000000:role/deploy"
	state := config.State{Bucket: "tfstate-role", Region: "eu-west-1", LockTable: "tflock-role"}

	results, err := runBootstrap(t, settings, state)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	assertResults(t, "run", results, []string{
		"state bucket tfstate-role (eu-west-1): created: versioning enabled, encryption enabled, public access blocked",
		"lock table tflock-role (eu-west-1): created",
	})
	assertBucketConfigured(t, newCheckers(emu, "eu-west-1", "test").s3, state.Bucket)
}

func assertResults(t *testing.T, step string, results []bootstrap.Result, want []string) {
	t.Helper()
	if len(results) != len(want) {
		t.Fatalf("%s: %d results %q, want %q", step, len(results), results, want)
	}
	for i, r := range results {
		if got := r.String(); got != want[i] {
			t.Errorf("%s: result %d = %q, want %q", step, i, got, want[i])
		}
	}
}

func assertBucketConfigured(t *testing.T, client *s3.Client, bucket string) {
	t.Helper()
	ctx := context.Background()

	versioning, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketVersioning: %v", err)
	}
	if versioning.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("versioning %q, want Enabled", versioning.Status)
	}

	encryption, err := client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketEncryption: %v", err)
	}
	rules := encryption.ServerSideEncryptionConfiguration.Rules
	if len(rules) == 0 || rules[0].ApplyServerSideEncryptionByDefault == nil {
		t.Fatalf("encryption rules %+v, want a default rule", rules)
	}
	if got := rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm; got != types.ServerSideEncryptionAes256 {
		t.Errorf("default encryption %q, want AES256", got)
	}

	block, err := client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetPublicAccessBlock: %v", err)
	}
	c := block.PublicAccessBlockConfiguration
	for name, v := range map[string]*bool{
		"BlockPublicAcls":       c.BlockPublicAcls,
		"BlockPublicPolicy":     c.BlockPublicPolicy,
		"IgnorePublicAcls":      c.IgnorePublicAcls,
		"RestrictPublicBuckets": c.RestrictPublicBuckets,
	} {
		if !aws.ToBool(v) {
			t.Errorf("public access block %s is not true", name)
		}
	}
}

// assertBucketLocation checks GetBucketLocation, which returns an empty
// constraint for us-east-1 on AWS and on LocalStack alike.
func assertBucketLocation(t *testing.T, client *s3.Client, bucket, region string) {
	t.Helper()
	out, err := client.GetBucketLocation(context.Background(), &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketLocation: %v", err)
	}
	want := types.BucketLocationConstraint(region)
	if region == "us-east-1" {
		want = ""
	}
	if out.LocationConstraint != want {
		t.Errorf("location constraint %q, want %q", out.LocationConstraint, want)
	}
}

func assertLockTable(t *testing.T, client *dynamodb.Client, table string) {
	t.Helper()
	out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var notFound *ddbtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		t.Fatalf("lock table %s not found in moto", table)
	}
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	td := out.Table

	if td.TableStatus != ddbtypes.TableStatusActive {
		t.Errorf("table status %q, want ACTIVE", td.TableStatus)
	}
	if len(td.KeySchema) != 1 || aws.ToString(td.KeySchema[0].AttributeName) != "LockID" || td.KeySchema[0].KeyType != ddbtypes.KeyTypeHash {
		t.Errorf("key schema %+v, want LockID HASH alone", td.KeySchema)
	}
	if len(td.AttributeDefinitions) != 1 || td.AttributeDefinitions[0].AttributeType != ddbtypes.ScalarAttributeTypeS {
		t.Errorf("attribute definitions %+v, want LockID of type S", td.AttributeDefinitions)
	}
	if td.BillingModeSummary == nil {
		t.Fatal("DescribeTable returned no BillingModeSummary")
	}
	if td.BillingModeSummary.BillingMode != ddbtypes.BillingModePayPerRequest {
		t.Errorf("billing mode %q, want PAY_PER_REQUEST", td.BillingModeSummary.BillingMode)
	}
}

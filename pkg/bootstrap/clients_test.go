package bootstrap

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rollout-dev/rollout/pkg/config"
)

// isolateAWSEnvironment clears the variables and files the SDK would read
// credentials from, so the test sees only what it sets.
func isolateAWSEnvironment(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		t.Setenv(name, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestNewWithEmulator(t *testing.T) {
	isolateAWSEnvironment(t)
	settings := config.AWS{
		AccountID: "000000000000",
		Endpoint:  "http://127.0.0.1:4566",
		Endpoints: map[string]string{"dynamodb": "http://127.0.0.1:4567"},
	}

	b, err := New(context.Background(), settings, "eu-west-1")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s3Options := b.S3.(*s3.Client).Options()
	if got := aws.ToString(s3Options.BaseEndpoint); got != "http://127.0.0.1:4566" {
		t.Errorf("S3 endpoint %q, want LocalStack's", got)
	}
	if !s3Options.UsePathStyle {
		t.Error("S3 client does not use path-style addressing")
	}
	if s3Options.Region != "eu-west-1" {
		t.Errorf("S3 region %q, want eu-west-1", s3Options.Region)
	}
	ddbOptions := b.DynamoDB.(*dynamodb.Client).Options()
	if got := aws.ToString(ddbOptions.BaseEndpoint); got != "http://127.0.0.1:4567" {
		t.Errorf("DynamoDB endpoint %q, want the per-service one", got)
	}
	if b.STS != nil || b.AccountID != "" {
		t.Error("account check enabled against an emulator, want it off")
	}

	creds, err := s3Options.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("retrieve credentials: %v", err)
	}
	if creds.AccessKeyID != "test" || creds.SecretAccessKey != "test" {
		t.Errorf("credentials %q/%q, want test/test", creds.AccessKeyID, creds.SecretAccessKey)
	}
}

func TestNewKeepsEnvironmentCredentials(t *testing.T) {
	isolateAWSEnvironment(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-environment")

	b, err := New(context.Background(), config.AWS{Endpoint: "http://127.0.0.1:4566"}, "us-east-1")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	creds, err := b.S3.(*s3.Client).Options().Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("retrieve credentials: %v", err)
	}
	if creds.AccessKeyID != "AKIAENVIRONMENT" {
		t.Errorf("access key %q, want the environment's", creds.AccessKeyID)
	}
}

func TestNewWithoutEndpoint(t *testing.T) {
	isolateAWSEnvironment(t)

	b, err := New(context.Background(), config.AWS{AccountID: "111111111111"}, "eu-west-1")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s3Options := b.S3.(*s3.Client).Options()
	if s3Options.BaseEndpoint != nil {
		t.Errorf("S3 endpoint %q, want the AWS default", aws.ToString(s3Options.BaseEndpoint))
	}
	if s3Options.UsePathStyle {
		t.Error("S3 client uses path-style addressing against AWS")
	}
	if b.STS == nil || b.AccountID != "111111111111" {
		t.Error("account check disabled, want it on when aws.account_id is set")
	}
}

func TestNewAssumesRole(t *testing.T) {
	isolateAWSEnvironment(t)
	var mu sync.Mutex
	var form map[string]string
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		form = map[string]string{
			"Action":          r.PostForm.Get("Action"),
			"RoleArn":         r.PostForm.Get("RoleArn"),
			"RoleSessionName": r.PostForm.Get("RoleSessionName"),
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(assumeRoleResponse))
	}))
	defer sts.Close()
	settings := config.AWS{
		RoleARN:   "arn:aws:iam::000000000000:role/deploy",
		Endpoints: map[string]string{"sts": sts.URL},
	}

	b, err := New(context.Background(), settings, "us-east-1")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	creds, err := b.S3.(*s3.Client).Options().Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("retrieve credentials: %v", err)
	}

	if creds.AccessKeyID != "ASIAASSUMED" || creds.SessionToken != "assumed-token" {
		t.Errorf("credentials %q with token %q, want the assumed role's", creds.AccessKeyID, creds.SessionToken)
	}
	mu.Lock()
	defer mu.Unlock()
	if form["Action"] != "AssumeRole" {
		t.Errorf("STS action %q, want AssumeRole", form["Action"])
	}
	if form["RoleArn"] != settings.RoleARN {
		t.Errorf("role %q, want %q", form["RoleArn"], settings.RoleARN)
	}
	if form["RoleSessionName"] != "rollout" {
		t.Errorf("session name %q, want %q", form["RoleSessionName"], "rollout")
	}
}

const assumeRoleResponse = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAASSUMED</AccessKeyId>
      <SecretAccessKey>assumed-secret</SecretAccessKey>
      <SessionToken>assumed-token</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::000000000000:assumed-role/deploy/rollout-bootstrap</Arn>
      <AssumedRoleId>AROAEXAMPLE:rollout-bootstrap</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
</AssumeRoleResponse>`

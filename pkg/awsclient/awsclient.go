// Package awsclient builds the AWS SDK clients that rollout itself uses,
// for bootstrap and the project lock, with the same endpoint and
// credential rules that the synthesized Terraform configuration follows.
package awsclient

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rollout-dev/rollout/pkg/config"
)

// roleSessionName names the STS session when aws.role_arn is assumed, so
// CloudTrail shows which tool acted.
const roleSessionName = "rollout"

// Clients are the SDK clients for one region of a project's account.
type Clients struct {
	S3       *s3.Client
	DynamoDB *dynamodb.Client
	STS      *sts.Client
}

// New returns clients for region that follow the project's AWS settings:
// aws.endpoint and aws.endpoints when set, aws.role_arn when set, and the
// default credential chain otherwise.
func New(ctx context.Context, settings config.AWS, region string) (*Clients, error) {
	cfg, err := loadConfig(ctx, settings, region, os.Getenv)
	if err != nil {
		return nil, err
	}

	stsOptions := func(o *sts.Options) {
		setEndpoint(&o.BaseEndpoint, Endpoint(settings, "sts"))
	}
	if settings.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg, stsOptions), settings.RoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = roleSessionName })
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}

	return &Clients{
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			if setEndpoint(&o.BaseEndpoint, Endpoint(settings, "s3")) {
				o.UsePathStyle = true
			}
		}),
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			setEndpoint(&o.BaseEndpoint, Endpoint(settings, "dynamodb"))
		}),
		STS: sts.NewFromConfig(cfg, stsOptions),
	}, nil
}

// loadConfig loads the shared AWS configuration for region. Against an
// emulator, instance metadata is switched off so no lookup waits on an
// address that cannot reply, and test credentials stand in when the
// environment names none.
func loadConfig(ctx context.Context, settings config.AWS, region string, getenv func(string) string) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if UsesEmulator(settings) {
		opts = append(opts, awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled))
		if UseTestCredentials(getenv) {
			opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
		}
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// UsesEmulator reports whether any AWS endpoint is replaced, which rollout
// takes to mean LocalStack, moto or a similar emulator.
func UsesEmulator(settings config.AWS) bool {
	return settings.Endpoint != "" || len(settings.Endpoints) > 0
}

// UseTestCredentials reports whether, against an emulator, the emulator's
// conventional test/test keys stand in: when neither AWS_ACCESS_KEY_ID nor
// AWS_PROFILE is set. Terraform processes get the same rule.
func UseTestCredentials(getenv func(string) string) bool {
	return getenv("AWS_ACCESS_KEY_ID") == "" && getenv("AWS_PROFILE") == ""
}

// Endpoint returns the URL of one service: its entry in aws.endpoints,
// else aws.endpoint, else "" for the AWS default.
func Endpoint(settings config.AWS, service string) string {
	if url, ok := settings.Endpoints[service]; ok {
		return url
	}
	return settings.Endpoint
}

func setEndpoint(base **string, url string) bool {
	if url == "" {
		return false
	}
	*base = aws.String(url)
	return true
}

package stackgen

import (
	"github.com/rollout-dev/rollout/pkg/config"
)

// backend returns the S3 backend of one instance. Its region is always the
// state bucket's region, never the instance's.
func backend(p *config.Project, in config.Instance, syntax Syntax) map[string]any {
	b := map[string]any{
		"bucket":  p.State.Bucket,
		"key":     p.StateKey(in.Stack.Name, in.Region),
		"region":  p.State.Region,
		"encrypt": true,
	}
	if p.State.LockTable != "" {
		b["dynamodb_table"] = p.State.LockTable
	}
	// Synthesize rejects Lockfile below Syntax110 before it gets here.
	if p.State.Lockfile {
		b["use_lockfile"] = true
	}
	if p.AWS.RoleARN != "" {
		if syntax == Syntax15 {
			b["role_arn"] = p.AWS.RoleARN
		} else {
			b["assume_role"] = map[string]any{"role_arn": p.AWS.RoleARN}
		}
	}
	if p.AWS.Endpoint == "" && len(p.AWS.Endpoints) == 0 {
		return b
	}

	// An emulator has no instance metadata service and no real account:
	// skip every check that would call out to AWS itself.
	b["skip_credentials_validation"] = true
	b["skip_metadata_api_check"] = true
	b["skip_region_validation"] = true
	s3, dynamodb, sts, iam := endpoint(p, "s3"), endpoint(p, "dynamodb"), endpoint(p, "sts"), endpoint(p, "iam")
	if syntax == Syntax15 {
		setIf(b, "endpoint", s3)
		setIf(b, "dynamodb_endpoint", dynamodb)
		setIf(b, "sts_endpoint", sts)
		setIf(b, "iam_endpoint", iam)
		b["force_path_style"] = true
		return b
	}
	endpoints := map[string]any{}
	setIf(endpoints, "s3", s3)
	setIf(endpoints, "dynamodb", dynamodb)
	setIf(endpoints, "sts", sts)
	setIf(endpoints, "iam", iam)
	b["endpoints"] = endpoints
	b["use_path_style"] = true
	b["skip_requesting_account_id"] = true
	return b
}

// emulatedServices are the services whose endpoints the provider is given
// when aws.endpoint points at an emulator such as LocalStack.
var emulatedServices = []string{
	"acm", "apigateway", "cloudformation", "cloudwatch", "dynamodb", "ec2", "ecr", "ecs",
	"events", "firehose", "iam", "kinesis", "kms", "lambda", "logs", "rds", "route53",
	"s3", "secretsmanager", "sns", "sqs", "ssm", "stepfunctions", "sts",
}

// provider returns the AWS provider of one instance, pinned to its region
// and, when an account is named, refusing any other account.
func provider(p *config.Project, in config.Instance) map[string]any {
	prov := map[string]any{
		"region": in.Region,
		"default_tags": map[string]any{"tags": map[string]any{
			"rollout:project": escapeTemplate(p.Name),
			"rollout:stack":   escapeTemplate(in.Stack.Name),
			"rollout:region":  in.Region,
			"rollout:wave":    escapeTemplate(in.Wave.Name),
		}},
	}
	if p.AWS.AccountID != "" {
		prov["allowed_account_ids"] = []string{p.AWS.AccountID}
	}
	if p.AWS.RoleARN != "" {
		prov["assume_role"] = map[string]any{
			"role_arn":     p.AWS.RoleARN,
			"session_name": "rollout-" + in.Region,
		}
	}
	if p.AWS.Endpoint == "" && len(p.AWS.Endpoints) == 0 {
		return prov
	}

	prov["skip_credentials_validation"] = true
	prov["skip_metadata_api_check"] = true
	prov["skip_requesting_account_id"] = true
	prov["s3_use_path_style"] = true
	endpoints := map[string]any{}
	for _, service := range emulatedServices {
		setIf(endpoints, service, endpoint(p, service))
	}
	for service, url := range p.AWS.Endpoints {
		endpoints[service] = url
	}
	prov["endpoints"] = endpoints
	return prov
}

// endpoint returns the URL of one service: its own entry in aws.endpoints,
// else aws.endpoint, else "" for the AWS default.
func endpoint(p *config.Project, service string) string {
	if url, ok := p.AWS.Endpoints[service]; ok {
		return url
	}
	return p.AWS.Endpoint
}

func setIf(m map[string]any, key, value string) {
	if value != "" {
		m[key] = value
	}
}

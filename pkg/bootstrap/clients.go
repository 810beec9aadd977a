package bootstrap

import (
	"context"

	"github.com/rollout-dev/rollout/pkg/awsclient"
	"github.com/rollout-dev/rollout/pkg/config"
)

// New returns a Bootstrapper whose clients talk to the state region as the
// project's AWS settings specify.
func New(ctx context.Context, settings config.AWS, region string) (*Bootstrapper, error) {
	clients, err := awsclient.New(ctx, settings, region)
	if err != nil {
		return nil, err
	}
	b := &Bootstrapper{S3: clients.S3, DynamoDB: clients.DynamoDB}
	// An emulator has no real accounts, so the account check runs only
	// against AWS itself, where the Terraform provider applies the same rule
	// through allowed_account_ids.
	if settings.AccountID != "" && !awsclient.UsesEmulator(settings) {
		b.STS = clients.STS
		b.AccountID = settings.AccountID
	}
	return b, nil
}

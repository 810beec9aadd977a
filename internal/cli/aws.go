package cli

import (
	"context"

	"github.com/rollout-dev/rollout/pkg/awsclient"
	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/rollout-dev/rollout/pkg/runlock"
)

// stateS3 returns an S3 client for the project's state bucket.
func stateS3(ctx context.Context, p *config.Project) (runlock.API, error) {
	clients, err := awsclient.New(ctx, p.AWS, p.State.Region)
	if err != nil {
		return nil, err
	}
	return clients.S3, nil
}

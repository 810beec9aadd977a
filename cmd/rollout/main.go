// Command rollout replicates one Terraform stack into many AWS regions and
// rolls it out wave by wave.
package main

import (
	"os"

	"github.com/rollout-dev/rollout/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

package runner

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/go-version"
	install "github.com/hashicorp/hc-install"
	"github.com/hashicorp/hc-install/fs"
	"github.com/hashicorp/hc-install/product"
	"github.com/hashicorp/hc-install/src"
	"github.com/hashicorp/terraform-exec/tfexec"
)

// Binary is a Terraform executable and its version.
type Binary struct {
	Path    string
	Version *version.Version
}

// Find locates the Terraform binary: the explicit path when one is given,
// otherwise terraform on PATH.
func Find(ctx context.Context, explicitPath string) (Binary, error) {
	var source src.Source = &fs.AnyVersion{Product: &product.Terraform}
	if explicitPath != "" {
		abs, err := filepath.Abs(explicitPath)
		if err != nil {
			return Binary{}, fmt.Errorf("terraform path %s: %w", explicitPath, err)
		}
		source = &fs.AnyVersion{ExactBinPath: abs}
	}
	path, err := install.NewInstaller().Ensure(ctx, []src.Source{source})
	if err != nil {
		if explicitPath != "" {
			return Binary{}, fmt.Errorf("terraform not found at %s (%v): point --terraform-path at an executable terraform binary", explicitPath, err)
		}
		return Binary{}, fmt.Errorf("terraform not found on PATH: install it, or name the binary with --terraform-path")
	}
	return versionOf(ctx, path)
}

func versionOf(ctx context.Context, path string) (Binary, error) {
	tf, err := tfexec.NewTerraform(filepath.Dir(path), path)
	if err != nil {
		return Binary{}, fmt.Errorf("use terraform %s: %w", path, err)
	}
	v, _, err := tf.Version(ctx, true)
	if err != nil {
		return Binary{}, fmt.Errorf("read version of %s: %w", path, err)
	}
	return Binary{Path: path, Version: v}, nil
}

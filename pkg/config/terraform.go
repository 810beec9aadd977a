package config

import (
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/hashicorp/hcl/v2"
)

// TerraformSettings choose the Terraform or OpenTofu binary that runs every
// instance of the project, from the optional terraform block.
type TerraformSettings struct {
	// Binary is "terraform" or "tofu". Empty accepts either, Terraform
	// first.
	Binary string
	// Version pins an exact version such as "1.6.3". Empty accepts any.
	Version string
	// Path is an explicit binary, made absolute against the project
	// directory. Empty means a search of PATH.
	Path string

	// block is the first terraform block, for the message about a second.
	block *hcl.Block
}

// Values of the binary attribute of the terraform block.
const (
	BinaryTerraform = "terraform"
	BinaryOpenTofu  = "tofu"
)

type terraformBlock struct {
	Binary  string `hcl:"binary,optional"`
	Version string `hcl:"version,optional"`
	Path    string `hcl:"path,optional"`
}

// exactVersion matches a release version such as 1.6.3 or 1.10.0-beta1.
// A constraint such as ">= 1.6" is rejected because a binary is looked up,
// and downloaded, by one exact version.
var exactVersion = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$`)

func (p *Project) decodeTerraform(block *hcl.Block) hcl.Diagnostics {
	if first := p.Terraform.block; first != nil {
		return hcl.Diagnostics{duplicate(block, first, "terraform block")}
	}
	p.Terraform.block = block

	var raw terraformBlock
	diags := decodeBody(block.Body, &raw)
	if diags.HasErrors() {
		return diags
	}

	switch raw.Binary {
	case "", BinaryTerraform, BinaryOpenTofu:
		p.Terraform.Binary = raw.Binary
	default:
		diags = append(diags, errorAt(attrRange(block, "binary"), "Invalid binary",
			fmt.Sprintf("binary is %q, but it must be %q or %q. Remove it to use whichever is found first, Terraform before OpenTofu.", raw.Binary, BinaryTerraform, BinaryOpenTofu)))
	}

	if raw.Version != "" && !exactVersion.MatchString(raw.Version) {
		diags = append(diags, errorAt(attrRange(block, "version"), "Invalid version",
			fmt.Sprintf("version is %q, but it must be one exact version, such as version = \"1.6.3\", because the binary is looked up and downloaded by that version.", raw.Version)))
	}
	p.Terraform.Version = raw.Version

	if raw.Path != "" {
		p.Terraform.Path = raw.Path
		if !filepath.IsAbs(raw.Path) {
			p.Terraform.Path = filepath.Join(p.Dir, raw.Path)
		}
	}
	return diags
}

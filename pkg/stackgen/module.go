package stackgen

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-config-inspect/tfconfig"
)

// moduleInfo is the part of a stack's module that synthesis reads.
type moduleInfo struct {
	variables map[string]*tfconfig.Variable
	outputs   []*tfconfig.Output
	// usesAWS is true when the module or a local module it calls needs the
	// AWS provider; without it no provider block is written, so a module
	// of built-in resources initializes with no download.
	usesAWS bool
	// needsProviders is true when init has providers to install, which
	// is when it touches the shared plugin cache. terraform_data and the
	// other resources of the built-in "terraform" provider need none.
	needsProviders bool
	files          []moduleFile
}

type moduleFile struct {
	path    string
	content []byte
}

func inspectModule(dir string) (*moduleInfo, error) {
	mod, diags := tfconfig.LoadModule(dir)
	if diags.HasErrors() {
		return nil, fmt.Errorf("read module %s: %w", dir, diags.Err())
	}
	info := &moduleInfo{variables: mod.Variables}
	for _, name := range sortedNames(mod.Outputs) {
		info.outputs = append(info.outputs, mod.Outputs[name])
	}
	if _, ok := mod.Outputs[RevisionOutput]; ok {
		return nil, fmt.Errorf("module %s declares output %q, which rollout writes itself; rename it", dir, RevisionOutput)
	}

	uses, err := usesAWS(mod, map[string]bool{})
	if err != nil {
		return nil, err
	}
	info.usesAWS = uses
	info.needsProviders = uses || needsProviders(mod)

	info.files, err = readModuleFiles(dir)
	return info, err
}

// usesAWS looks for the aws provider by name. The built-in "terraform"
// provider that tfconfig lists for terraform_data does not count.
func usesAWS(mod *tfconfig.Module, seen map[string]bool) (bool, error) {
	if seen[mod.Path] {
		return false, nil
	}
	seen[mod.Path] = true
	if _, ok := mod.RequiredProviders["aws"]; ok {
		return true, nil
	}
	if _, ok := mod.ProviderConfigs["aws"]; ok {
		return true, nil
	}
	for _, resources := range []map[string]*tfconfig.Resource{mod.ManagedResources, mod.DataResources} {
		for _, r := range resources {
			if r.Provider.Name == "aws" {
				return true, nil
			}
		}
	}
	for _, call := range mod.ModuleCalls {
		if !strings.HasPrefix(call.Source, "./") && !strings.HasPrefix(call.Source, "../") {
			// NOTE: a registry or remote module is not read, so one that
			// needs AWS only through such a module gets no provider block.
			continue
		}
		child, diags := tfconfig.LoadModule(filepath.Join(mod.Path, call.Source))
		if diags.HasErrors() {
			return false, fmt.Errorf("read module %s: %w", child.Path, diags.Err())
		}
		if uses, err := usesAWS(child, seen); uses || err != nil {
			return uses, err
		}
	}
	return false, nil
}

// needsProviders reports whether the module names any provider besides the
// built-in one. It reads only this module: a local child module's
// providers are caught when they are AWS, and any other provider in a
// child module is named in required_providers by convention.
// NOTE: a child module that uses a non-AWS provider without declaring it
// in the parent makes init install it while the cache is not serialized.
func needsProviders(mod *tfconfig.Module) bool {
	for name := range mod.RequiredProviders {
		if name != "terraform" {
			return true
		}
	}
	for _, resources := range []map[string]*tfconfig.Resource{mod.ManagedResources, mod.DataResources} {
		for _, r := range resources {
			if r.Provider.Name != "terraform" {
				return true
			}
		}
	}
	return len(mod.ProviderConfigs) > 0 || len(mod.ModuleCalls) > 0 && hasRemoteCall(mod)
}

func hasRemoteCall(mod *tfconfig.Module) bool {
	for _, call := range mod.ModuleCalls {
		if !strings.HasPrefix(call.Source, "./") && !strings.HasPrefix(call.Source, "../") {
			return true
		}
	}
	return false
}

// readModuleFiles returns the module's files, sorted by path, for the
// revision digest. Terraform's own working files are left out.
func readModuleFiles(dir string) ([]moduleFile, error) {
	var files []moduleFile
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" || d.Name() == ".rollout" || (d.Name() == ".git" && path != dir) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasSuffix(d.Name(), ".tfstate") || strings.HasSuffix(d.Name(), ".tfstate.backup") {
			return nil
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, moduleFile{path: filepath.ToSlash(rel), content: content})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read module files: %w", err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

// Package stackgen writes one Terraform root module per instance: the S3
// backend with the instance's own state key, an AWS provider pinned to the
// instance's region, and a call of the stack's module with its inputs. The
// output is Terraform's JSON syntax and byte-identical for the same project,
// so it can be diffed and golden-tested.
package stackgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rollout-dev/rollout/pkg/config"
)

// FileName is the one file written into each instance directory.
const FileName = "main.tf.json"

// Syntax selects the backend settings that the Terraform or OpenTofu
// version in use accepts: the S3 backend renamed them in 1.6 and added
// native locking in 1.10. A later syntax accepts everything an earlier one
// does.
type Syntax int

const (
	// Syntax15 is Terraform 1.5 and earlier: endpoint, force_path_style,
	// dynamodb_endpoint.
	Syntax15 Syntax = iota
	// Syntax16 is Terraform and OpenTofu 1.6 to 1.9: an endpoints
	// object, use_path_style, assume_role as a block.
	Syntax16
	// Syntax110 is Terraform and OpenTofu 1.10 and later: Syntax16 plus
	// use_lockfile, which locks state with a lock object next to it in S3.
	Syntax110
)

// ErrLockfileUnsupported is returned when the project sets state.lockfile
// but the syntax is older than Syntax110, whose backend has no
// use_lockfile.
var ErrLockfileUnsupported = errors.New("state.lockfile needs Terraform or OpenTofu 1.10 or later")

// Options tune synthesis.
type Options struct {
	// Dir is the parent of the instance directories. Empty means
	// .rollout/stacks next to the project file.
	Dir    string
	Syntax Syntax
}

// Instance is a synthesized instance: where its root module is and which
// revision it carries.
type Instance struct {
	config.Instance
	Dir      string
	StateKey string
	// Revision is a digest of the synthesized configuration and the
	// module's files; an applied instance reports it as the
	// rollout_revision output.
	Revision string
	// NeedsProviders is true when terraform init installs providers.
	NeedsProviders bool
}

// StacksDir returns the default directory of synthesized instances.
func StacksDir(p *config.Project) string {
	return filepath.Join(p.Dir, ".rollout", "stacks")
}

// Synthesize writes the root module of every instance of p and returns them
// in rollout order. A file is rewritten only when its content changes.
func Synthesize(p *config.Project, opts Options) ([]Instance, error) {
	if opts.Dir == "" {
		opts.Dir = StacksDir(p)
	}
	if p.State.Lockfile && opts.Syntax < Syntax110 {
		return nil, ErrLockfileUnsupported
	}
	modules := map[string]*moduleInfo{}
	for _, s := range p.Stacks {
		m, err := inspectModule(p.SourceDir(s))
		if err != nil {
			return nil, fmt.Errorf("stack %q: %w", s.Name, err)
		}
		modules[s.Name] = m
	}

	var out []Instance
	for _, in := range p.Instances() {
		dir := filepath.Join(opts.Dir, in.Stack.Name, in.Region)
		doc, revision, err := render(p, in, modules[in.Stack.Name], dir, opts.Syntax)
		if err != nil {
			return nil, fmt.Errorf("synthesize %s: %w", in.ID(), err)
		}
		if err := writeIfChanged(filepath.Join(dir, FileName), doc); err != nil {
			return nil, err
		}
		out = append(out, Instance{
			Instance:       in,
			Dir:            dir,
			StateKey:       p.StateKey(in.Stack.Name, in.Region),
			Revision:       revision,
			NeedsProviders: modules[in.Stack.Name].needsProviders,
		})
	}
	return out, nil
}

// render builds the main.tf.json of one instance and its revision.
func render(p *config.Project, in config.Instance, m *moduleInfo, dir string, syntax Syntax) ([]byte, string, error) {
	call, err := moduleCall(p, in, m, dir)
	if err != nil {
		return nil, "", err
	}
	root := map[string]any{
		"terraform": map[string]any{"backend": map[string]any{"s3": backend(p, in, syntax)}},
		"module":    map[string]any{in.Stack.Name: call},
	}
	if m.usesAWS {
		root["provider"] = map[string]any{"aws": provider(p, in)}
	}
	outputs := map[string]any{}
	for _, o := range m.outputs {
		def := map[string]any{"value": fmt.Sprintf("${module.%s.%s}", in.Stack.Name, o.Name)}
		if o.Sensitive {
			def["sensitive"] = true
		}
		outputs[o.Name] = def
	}
	root["output"] = outputs

	body, err := encode(root)
	if err != nil {
		return nil, "", err
	}
	revision := digest(body, m.files)
	outputs[RevisionOutput] = map[string]any{"value": revision}
	body, err = encode(root)
	return body, revision, err
}

// RevisionOutput is the output that records in each state which revision
// of the configuration the instance last applied.
const RevisionOutput = "rollout_revision"

func moduleCall(p *config.Project, in config.Instance, m *moduleInfo, dir string) (map[string]any, error) {
	rel, err := filepath.Rel(dir, p.SourceDir(in.Stack))
	if err != nil {
		return nil, fmt.Errorf("locate module: %w", err)
	}
	call := map[string]any{"source": "./" + filepath.ToSlash(rel)}
	if strings.HasPrefix(rel, "..") {
		call["source"] = filepath.ToSlash(rel)
	}

	inputs, diags := p.Inputs(in)
	if diags.HasErrors() {
		return nil, fmt.Errorf("evaluate inputs: %s", diags.Error())
	}
	overrides := p.RegionOverrides(in.Region)
	for _, name := range sortedNames(inputs) {
		_, declared := m.variables[name]
		switch {
		case declared:
		case overrides[name]:
			// A region override is shared by every stack of the region;
			// it goes only to the modules that declare it.
			continue
		default:
			return nil, fmt.Errorf("input %q is not a variable of module %s; declared variables: %s",
				name, in.Stack.Source, strings.Join(sortedNames(m.variables), ", "))
		}
		if reservedInputs[name] {
			return nil, fmt.Errorf("input %q is a Terraform module meta-argument and cannot be passed as a variable; rename the variable in %s", name, in.Stack.Source)
		}
		value, err := jsonValue(inputs[name])
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		call[name] = value
	}

	for name, value := range map[string]string{"region": in.Region, "stack": in.Stack.Name, "wave": in.Wave.Name} {
		if _, declared := m.variables[name]; declared {
			if _, set := call[name]; !set {
				call[name] = escapeTemplate(value)
			}
		}
	}
	for _, name := range sortedNames(m.variables) {
		if _, set := call[name]; !set && m.variables[name].Required {
			return nil, fmt.Errorf("module %s requires variable %q, but the stack's inputs do not set it; add it to stack %q inputs", in.Stack.Source, name, in.Stack.Name)
		}
	}
	return call, nil
}

// reservedInputs are module block arguments that Terraform reads itself.
var reservedInputs = map[string]bool{
	"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true,
}

// encode renders v as indented JSON with sorted keys, a trailing newline and
// no HTML escaping, so the files stay stable and readable.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	return buf.Bytes(), nil
}

func digest(config []byte, files []moduleFile) string {
	h := sha256.New()
	h.Write(config)
	for _, f := range files {
		fmt.Fprintf(h, "\x00%s\x00%d\x00", f.path, len(f.content))
		h.Write(f.content)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// writeIfChanged replaces path with content through a temporary file and a
// rename, so a reader never sees half a file; an unchanged file is left
// alone.
func writeIfChanged(path string, content []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create instance directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".main.tf.json-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

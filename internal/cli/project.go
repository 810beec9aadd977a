package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/rollout-dev/rollout/pkg/runner"
	"github.com/rollout-dev/rollout/pkg/stackgen"
	"golang.org/x/term"
)

// loadProject reads the project file and prints its diagnostics, errors and
// warnings alike, with the source lines they point at.
func (g *globalOptions) loadProject() (*config.Project, error) {
	p, err := config.Load(g.configPath)
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		writeDiagnostics(g.stderr, cfgErr.Parser.Files(), cfgErr.Diags)
		return nil, errReported
	}
	if err != nil {
		return nil, err
	}
	if len(p.Warnings) > 0 {
		files := map[string]*hcl.File{}
		if src, err := os.ReadFile(p.File); err == nil {
			files[p.File] = &hcl.File{Bytes: src}
		}
		writeDiagnostics(g.stderr, files, p.Warnings)
	}
	return p, nil
}

func writeDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) {
	width := 0
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		width, _, _ = term.GetSize(int(f.Fd()))
	}
	dw := hcl.NewDiagnosticTextWriter(w, files, uint(width), false)
	dw.WriteDiagnostics(diags)
}

// Versions of Terraform and OpenTofu at which the S3 backend changed:
// 1.6 takes an endpoints object instead of endpoint and dynamodb_endpoint,
// and 1.10 adds native locking with use_lockfile.
var (
	minModernSyntax = version.Must(version.NewVersion("1.6.0"))
	minLockfile     = version.Must(version.NewVersion("1.10.0"))
)

// syntaxFor picks the backend syntax the binary accepts. It compares the
// release part of the version only, so a development build such as
// 1.6.3-dev counts as 1.6.3.
func syntaxFor(b runner.Binary) stackgen.Syntax {
	v := b.Version.Core()
	switch {
	case v.LessThan(minModernSyntax):
		return stackgen.Syntax15
	case v.LessThan(minLockfile):
		return stackgen.Syntax16
	}
	return stackgen.Syntax110
}

// prepare loads the project, finds terraform and synthesizes every
// instance: the common start of every command that runs terraform.
func (g *globalOptions) prepare(ctx context.Context) (*config.Project, runner.Binary, []stackgen.Instance, error) {
	p, err := g.loadProject()
	if err != nil {
		return nil, runner.Binary{}, nil, err
	}
	bin, err := g.findBinary(ctx, p)
	if err != nil {
		return nil, runner.Binary{}, nil, err
	}
	if err := checkLockfile(p, bin); err != nil {
		return nil, runner.Binary{}, nil, err
	}
	instances, err := stackgen.Synthesize(p, stackgen.Options{Syntax: syntaxFor(bin)})
	if err != nil {
		return nil, runner.Binary{}, nil, err
	}
	// Terraform 1.5 reports a missing TF_PLUGIN_CACHE_DIR as a CLI
	// configuration error in every init, so the shared cache is created
	// before any init runs.
	if err := os.MkdirAll(pluginCacheDir(p), 0o755); err != nil {
		return nil, runner.Binary{}, nil, fmt.Errorf("create plugin cache directory: %w", err)
	}
	return p, bin, instances, nil
}

// findBinary finds the Terraform or OpenTofu binary that the project's
// terraform block requests. --terraform-path overrides the block's path.
func (g *globalOptions) findBinary(ctx context.Context, p *config.Project) (runner.Binary, error) {
	opts := runner.FindOptions{
		Path:     p.Terraform.Path,
		Product:  runner.Product(p.Terraform.Binary),
		Version:  p.Terraform.Version,
		CacheDir: binaryCacheDir(p),
	}
	if g.terraformPath != "" {
		opts.Path = g.terraformPath
	}
	bin, err := runner.Find(ctx, opts)
	if err != nil {
		return runner.Binary{}, err
	}
	g.log.Debug("terraform found", "product", string(bin.Product), "path", bin.Path, "version", bin.Version.String(), "source", bin.Source)
	if opts.Version != "" && !bin.Version.Equal(version.Must(version.NewVersion(opts.Version))) {
		g.log.Warn("pinned version not found, so another version on PATH is used", "pinned", opts.Version, "path", bin.Path, "version", bin.Version.String())
	}
	return bin, nil
}

// binaryCacheDir is where downloaded Terraform binaries are kept: the
// user's cache directory, so every project shares them, or the project's
// .rollout directory when the user has none.
func binaryCacheDir(p *config.Project) string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "rollout", "bin")
	}
	return filepath.Join(p.Dir, ".rollout", "bin")
}

// checkLockfile rejects state.lockfile for a binary whose S3 backend has
// no use_lockfile, before anything is synthesized.
func checkLockfile(p *config.Project, bin runner.Binary) error {
	if !p.State.Lockfile || !bin.Version.Core().LessThan(minLockfile) {
		return nil
	}
	return fmt.Errorf("state.lockfile = true needs S3 native locking, which %s supports from version 1.10, but %s is %s %s: use %s 1.10 or later, or remove lockfile and lock through lock_table",
		bin.Product, bin.Path, bin.Product, bin.Version, bin.Product)
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

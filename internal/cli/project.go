package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

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

// minModernSyntax is the first Terraform version whose S3 backend takes an
// endpoints object instead of endpoint and dynamodb_endpoint.
var minModernSyntax = version.Must(version.NewVersion("1.6.0"))

// syntaxFor picks the backend syntax the binary accepts.
func syntaxFor(b runner.Binary) stackgen.Syntax {
	if b.Version.LessThan(minModernSyntax) {
		return stackgen.Syntax15
	}
	return stackgen.Syntax16
}

// prepare loads the project, finds terraform and synthesizes every
// instance: the common start of every command that runs terraform.
func (g *globalOptions) prepare(ctx context.Context) (*config.Project, runner.Binary, []stackgen.Instance, error) {
	p, err := g.loadProject()
	if err != nil {
		return nil, runner.Binary{}, nil, err
	}
	bin, err := runner.Find(ctx, g.terraformPath)
	if err != nil {
		return nil, runner.Binary{}, nil, err
	}
	g.log.Debug("terraform found", "path", bin.Path, "version", bin.Version.String())
	instances, err := stackgen.Synthesize(p, stackgen.Options{Syntax: syntaxFor(bin)})
	if err != nil {
		return nil, runner.Binary{}, nil, err
	}
	return p, bin, instances, nil
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

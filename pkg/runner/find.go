package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hc-install/fs"
	"github.com/hashicorp/hc-install/product"
	"github.com/hashicorp/hc-install/releases"
)

// Product is the program a binary is, as its version output names it.
type Product string

// The products rollout can drive. The values are their command names.
const (
	Terraform Product = "terraform"
	OpenTofu  Product = "tofu"
)

// String returns the product's display name, as in "OpenTofu 1.6.3".
func (p Product) String() string {
	switch p {
	case Terraform:
		return "Terraform"
	case OpenTofu:
		return "OpenTofu"
	}
	return string(p)
}

// Binary is a Terraform or OpenTofu executable and its version.
type Binary struct {
	Path    string
	Version *version.Version
	// Product is the program named by the binary's version output. It can
	// differ from the file name, because some systems install OpenTofu as
	// terraform.
	Product Product
	// Source names the discovery step that found the binary: "path",
	// "PATH, pinned version", "PATH", "cache" or "download".
	Source string
}

// Command returns the name under which a user runs the binary by hand,
// for commands rollout prints such as the one that releases a held lock.
func (b Binary) Command() string {
	return filepath.Base(b.Path)
}

// FindOptions select the binary that Find returns.
type FindOptions struct {
	// Path is an explicit binary. When set, it is the only candidate.
	Path string
	// Product restricts the search to Terraform or OpenTofu. Empty tries
	// Terraform first, then OpenTofu.
	Product Product
	// Version pins an exact version such as "1.5.7". A binary of that
	// version on PATH is preferred, any version on PATH comes next, and a
	// download of the pinned version is the last resort.
	Version string
	// CacheDir holds downloaded binaries in <product>/<version>/. Empty
	// turns downloads off.
	CacheDir string

	// releasesURL and releasesKey replace https://releases.hashicorp.com
	// and the HashiCorp key that signs its checksums, in tests.
	releasesURL string
	releasesKey string
}

// Attempt is one discovery step that found no usable binary, and why.
type Attempt struct {
	Source string
	Err    error
}

// NotFoundError is returned by Find when no step found a usable binary.
// It lists every step tried, in order.
type NotFoundError struct {
	Attempts []Attempt
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("no usable terraform or tofu binary found; tried:")
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, "\n  - %s: %v", a.Source, a.Err)
	}
	b.WriteString("\ninstall Terraform or OpenTofu, or name the binary with --terraform-path or terraform { path = \"...\" } in rollout.hcl")
	return b.String()
}

// versionTimeout bounds one `version` call of a candidate binary.
const versionTimeout = 30 * time.Second

// Find locates the binary that runs every instance. It tries the explicit
// path, then the pinned version on PATH, then any version on PATH. The
// last resort is the pinned version from the cache, which hc-install
// downloads and verifies when it is missing. Only Terraform can be
// downloaded, because hc-install fetches from releases.hashicorp.com.
// When nothing fits, the error is a *NotFoundError.
func Find(ctx context.Context, opts FindOptions) (Binary, error) {
	if opts.Product != "" && opts.Product != Terraform && opts.Product != OpenTofu {
		return Binary{}, fmt.Errorf("invalid binary %q: use %q or %q", string(opts.Product), string(Terraform), string(OpenTofu))
	}
	var pinned *version.Version
	if opts.Version != "" {
		v, err := version.NewVersion(opts.Version)
		if err != nil {
			return Binary{}, fmt.Errorf("invalid terraform version %q: %w", opts.Version, err)
		}
		pinned = v
	}

	f := &finder{opts: opts, pinned: pinned, seen: map[string]identity{}}
	var attempts []Attempt
	for _, s := range f.steps() {
		bin, err := s.find(ctx)
		if err == nil {
			if bin.Source == "" {
				bin.Source = s.kind
			}
			return bin, nil
		}
		if ctx.Err() != nil {
			return Binary{}, fmt.Errorf("find terraform: %w", ctx.Err())
		}
		attempts = append(attempts, Attempt{Source: s.source, Err: err})
	}
	return Binary{}, &NotFoundError{Attempts: attempts}
}

// finder runs the discovery steps of one Find call and remembers each
// candidate's version output, so no binary is run twice.
type finder struct {
	opts   FindOptions
	pinned *version.Version
	seen   map[string]identity
}

// step is one place a binary may come from. source describes it in
// NotFoundError; kind becomes Binary.Source.
type step struct {
	source string
	kind   string
	find   func(ctx context.Context) (Binary, error)
}

func (f *finder) steps() []step {
	if f.opts.Path != "" {
		return []step{{source: "path " + f.opts.Path, kind: "path", find: f.explicit}}
	}

	products := []Product{Terraform, OpenTofu}
	if f.opts.Product != "" {
		products = []Product{f.opts.Product}
	}
	var steps []step
	if f.pinned != nil {
		for _, p := range products {
			steps = append(steps, step{
				source: fmt.Sprintf("%s %s on PATH", string(p), f.pinned),
				kind:   "PATH, pinned version",
				find:   func(ctx context.Context) (Binary, error) { return f.pinnedOnPath(ctx, p) },
			})
		}
	}
	for _, p := range products {
		steps = append(steps, step{
			source: fmt.Sprintf("any %s on PATH", string(p)),
			kind:   "PATH",
			find:   func(ctx context.Context) (Binary, error) { return f.anyOnPath(ctx, p) },
		})
	}
	for _, p := range products {
		steps = append(steps, f.downloadStep(p))
	}
	return steps
}

func (f *finder) explicit(ctx context.Context) (Binary, error) {
	abs, err := filepath.Abs(f.opts.Path)
	if err != nil {
		return Binary{}, err
	}
	src := &fs.AnyVersion{ExactBinPath: abs}
	if err := src.Validate(); err != nil {
		return Binary{}, err
	}
	path, err := src.Find(ctx)
	if err != nil {
		return Binary{}, err
	}
	bin, err := f.accept(ctx, path)
	if err != nil {
		return Binary{}, err
	}
	if f.pinned != nil && !bin.Version.Equal(f.pinned) {
		return Binary{}, fmt.Errorf("is %s %s, but version %s is pinned: point the path at %s %s, or change the pin", bin.Product, bin.Version, f.pinned, bin.Product, f.pinned)
	}
	return bin, nil
}

func (f *finder) pinnedOnPath(ctx context.Context, p Product) (Binary, error) {
	src := &fs.ExactVersion{Product: f.product(p), Version: f.pinned, Timeout: versionTimeout}
	if err := src.Validate(); err != nil {
		return Binary{}, err
	}
	path, err := src.Find(ctx)
	if err != nil {
		return Binary{}, fmt.Errorf("no %s of version %s on PATH: %w", p.binaryName(), f.pinned, err)
	}
	return f.accept(ctx, path)
}

func (f *finder) anyOnPath(ctx context.Context, p Product) (Binary, error) {
	hp := f.product(p)
	src := &fs.AnyVersion{Product: &hp}
	if err := src.Validate(); err != nil {
		return Binary{}, err
	}
	path, err := src.Find(ctx)
	if err != nil {
		return Binary{}, err
	}
	return f.accept(ctx, path)
}

// downloadStep returns the last resort for p: its pinned version from the
// cache, downloaded first if missing.
func (f *finder) downloadStep(p Product) step {
	name := string(p)
	s := step{source: "download of " + name, kind: "download"}
	switch {
	case f.pinned == nil:
		s.find = failWith(fmt.Errorf("skipped because no version is pinned. Pin one with terraform { version = \"1.5.7\" } in rollout.hcl"))
	case p == OpenTofu:
		s.source = fmt.Sprintf("download of %s %s", name, f.pinned)
		s.find = failWith(fmt.Errorf("not supported, because hc-install downloads only HashiCorp products; install OpenTofu %s on PATH", f.pinned))
	case f.opts.CacheDir == "":
		s.source = fmt.Sprintf("download of %s %s", name, f.pinned)
		s.find = failWith(fmt.Errorf("skipped because no cache directory is set"))
	default:
		s.source = fmt.Sprintf("download of %s %s into %s", name, f.pinned, f.opts.CacheDir)
		s.find = f.cachedOrDownload
	}
	return s
}

// downloadError makes a failed install of Terraform v readable.
//
// NOTE: hc-install v0.10.0 loses the error of a failed checksum or size
// check, because a deferred cleanup in its downloader overwrites it. It then
// fails to chmod the binary it never unpacked, and its error reports only
// that.
func downloadError(err error, v *version.Version) error {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) && pathErr.Op == "chmod" && errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the download of terraform %s failed verification, or its archive contained no terraform binary", v)
	}
	return err
}

func failWith(err error) func(context.Context) (Binary, error) {
	return func(context.Context) (Binary, error) { return Binary{}, err }
}

// cachedOrDownload returns the pinned Terraform from the cache, and
// downloads it there first when it is missing. The download goes to a
// temporary directory that is renamed into place, so a concurrent rollout
// never runs half a binary.
func (f *finder) cachedOrDownload(ctx context.Context) (Binary, error) {
	dir := filepath.Join(f.opts.CacheDir, string(Terraform), f.pinned.String())
	path := filepath.Join(dir, Terraform.binaryName())
	if _, err := os.Stat(path); err == nil {
		bin, err := f.accept(ctx, path)
		if err == nil && bin.Version.Equal(f.pinned) {
			bin.Source = "cache"
			return bin, nil
		}
		return Binary{}, fmt.Errorf("cached binary %s is not Terraform %s; remove it to download again", path, f.pinned)
	}

	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Binary{}, fmt.Errorf("create cache directory: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".download-")
	if err != nil {
		return Binary{}, fmt.Errorf("create download directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	src := &releases.ExactVersion{
		Product:    product.Terraform,
		Version:    f.pinned,
		InstallDir: tmp,
		ApiBaseURL: f.opts.releasesURL,

		ArmoredPublicKey: f.opts.releasesKey,
	}
	if err := src.Validate(); err != nil {
		return Binary{}, err
	}
	if _, err := src.Install(ctx); err != nil {
		return Binary{}, downloadError(err, f.pinned)
	}
	// On Linux ErrExist covers ENOTEMPTY too: another process renamed its own
	// download into place first, and that one is used.
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
		return Binary{}, fmt.Errorf("move download into cache: %w", err)
	}
	return f.accept(ctx, path)
}

// accept identifies the binary at path and checks that it is the product
// that FindOptions.Product requests.
func (f *finder) accept(ctx context.Context, path string) (Binary, error) {
	id, err := f.identify(ctx, path)
	if err != nil {
		return Binary{}, err
	}
	if f.opts.Product != "" && id.product != f.opts.Product {
		return Binary{}, fmt.Errorf("%s is %s %s, but binary %q is requested", path, id.product, id.version, string(f.opts.Product))
	}
	return Binary{Path: path, Version: id.version, Product: id.product}, nil
}

// product returns the hc-install description of p. hc-install has no
// OpenTofu product, and its Terraform product runs `terraform version` with
// the inherited environment, so both read their version with identify.
func (f *finder) product(p Product) product.Product {
	return product.Product{
		Name:       string(p),
		BinaryName: p.binaryName,
		GetVersion: func(ctx context.Context, path string) (*version.Version, error) {
			id, err := f.identify(ctx, path)
			if err != nil {
				return nil, err
			}
			if f.opts.Product != "" && id.product != f.opts.Product {
				return nil, fmt.Errorf("%s is %s, not %s", path, id.product, f.opts.Product)
			}
			return id.version, nil
		},
	}
}

func (p Product) binaryName() string {
	if runtime.GOOS == "windows" {
		return string(p) + ".exe"
	}
	return string(p)
}

// identity is the product and version that a binary's version output
// reports.
type identity struct {
	product Product
	version *version.Version
}

// versionLine matches the first line of `terraform version` and
// `tofu version`, such as "Terraform v1.5.7" or "OpenTofu v1.6.3".
var versionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v(\S+)`)

// identify runs `<path> version` and reads the product and version from
// its first line. The JSON form is not used because it names no product.
func (f *finder) identify(ctx context.Context, path string) (identity, error) {
	if id, ok := f.seen[path]; ok {
		return id, nil
	}
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = versionEnv()
	out, err := cmd.Output()
	if err != nil {
		return identity{}, fmt.Errorf("run %s version: %w", path, err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	m := versionLine.FindStringSubmatch(first)
	if m == nil {
		return identity{}, fmt.Errorf("%s is neither Terraform nor OpenTofu: its version output starts %q", path, first)
	}
	v, err := version.NewVersion(m[2])
	if err != nil {
		return identity{}, fmt.Errorf("read version of %s from %q: %w", path, first, err)
	}
	id := identity{product: Terraform, version: v}
	if m[1] == "OpenTofu" {
		id.product = OpenTofu
	}
	f.seen[path] = id
	return id, nil
}

// versionEnv is the process environment with Terraform's update check
// off unless the user set CHECKPOINT_DISABLE, so reading a version makes
// no network call.
func versionEnv() []string {
	env := os.Environ()
	if _, set := os.LookupEnv("CHECKPOINT_DISABLE"); !set {
		env = append(env, "CHECKPOINT_DISABLE=1")
	}
	return env
}

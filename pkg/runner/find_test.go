package runner

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// fakeScript is a stand-in for terraform or tofu. For `version` it prints
// the product's first line, which rollout and hc-install's fallback read,
// and for `version -json` the object that terraform-exec reads.
func fakeScript(product Product, v string) []byte {
	return fmt.Appendf(nil, `#!/bin/sh
case "$1 $2" in
"version -json") printf '{"terraform_version": "%[2]s", "platform": "linux_amd64", "provider_selections": {}}\n' ;;
"version ") printf '%[1]s v%[2]s\non linux_amd64\n' ;;
*) echo "fake %[1]s: unexpected arguments: $*" >&2; exit 1 ;;
esac
`, product, v)
}

// fakeBinary writes a fake binary called name into a new directory and
// returns that directory.
func fakeBinary(t *testing.T, name string, product Product, v string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), fakeScript(product, v), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func pathOf(dirs ...string) string {
	return strings.Join(dirs, string(os.PathListSeparator))
}

func TestFindOrder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fake binaries are shell scripts")
	}
	tf157 := fakeBinary(t, "terraform", Terraform, "1.5.7")
	tf160 := fakeBinary(t, "terraform", Terraform, "1.6.0")
	tofu163 := fakeBinary(t, "tofu", OpenTofu, "1.6.3")
	tofuAsTerraform := fakeBinary(t, "terraform", OpenTofu, "1.6.3")
	empty := t.TempDir()

	tests := []struct {
		name        string
		path        string
		opts        FindOptions
		wantPath    string
		wantProduct Product
		wantVersion string
		wantSource  string
	}{
		{
			name:     "terraform before tofu",
			path:     pathOf(tofu163, tf157),
			wantPath: filepath.Join(tf157, "terraform"), wantProduct: Terraform, wantVersion: "1.5.7", wantSource: "PATH",
		},
		{
			name:     "tofu when only tofu is installed",
			path:     pathOf(empty, tofu163),
			wantPath: filepath.Join(tofu163, "tofu"), wantProduct: OpenTofu, wantVersion: "1.6.3", wantSource: "PATH",
		},
		{
			name:     "tofu requested",
			path:     pathOf(tf157, tofu163),
			opts:     FindOptions{Product: OpenTofu},
			wantPath: filepath.Join(tofu163, "tofu"), wantProduct: OpenTofu, wantVersion: "1.6.3", wantSource: "PATH",
		},
		{
			name:     "pinned version later on PATH",
			path:     pathOf(tf157, tf160),
			opts:     FindOptions{Version: "1.6.0"},
			wantPath: filepath.Join(tf160, "terraform"), wantProduct: Terraform, wantVersion: "1.6.0", wantSource: "PATH, pinned version",
		},
		{
			name:     "pinned tofu before any terraform",
			path:     pathOf(tf157, tofu163),
			opts:     FindOptions{Version: "1.6.3"},
			wantPath: filepath.Join(tofu163, "tofu"), wantProduct: OpenTofu, wantVersion: "1.6.3", wantSource: "PATH, pinned version",
		},
		{
			name:     "any version when the pin is missing",
			path:     pathOf(tf157),
			opts:     FindOptions{Version: "1.9.9"},
			wantPath: filepath.Join(tf157, "terraform"), wantProduct: Terraform, wantVersion: "1.5.7", wantSource: "PATH",
		},
		{
			name:     "explicit path over PATH",
			path:     pathOf(tf157),
			opts:     FindOptions{Path: filepath.Join(tf160, "terraform")},
			wantPath: filepath.Join(tf160, "terraform"), wantProduct: Terraform, wantVersion: "1.6.0", wantSource: "path",
		},
		{
			name:     "product read from version output",
			path:     pathOf(tofuAsTerraform),
			wantPath: filepath.Join(tofuAsTerraform, "terraform"), wantProduct: OpenTofu, wantVersion: "1.6.3", wantSource: "PATH",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			bin, err := Find(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if bin.Path != tt.wantPath {
				t.Errorf("path %s, want %s", bin.Path, tt.wantPath)
			}
			if bin.Product != tt.wantProduct {
				t.Errorf("product %s, want %s", bin.Product, tt.wantProduct)
			}
			if bin.Version.String() != tt.wantVersion {
				t.Errorf("version %s, want %s", bin.Version, tt.wantVersion)
			}
			if bin.Source != tt.wantSource {
				t.Errorf("source %q, want %q", bin.Source, tt.wantSource)
			}
		})
	}
}

func TestFindRejectsExplicitPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fake binaries are shell scripts")
	}
	tf157 := fakeBinary(t, "terraform", Terraform, "1.5.7")
	notBinary := filepath.Join(t.TempDir(), "terraform")
	if err := os.WriteFile(notBinary, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A working terraform on PATH must not stand in for a broken
	// explicit one.
	t.Setenv("PATH", tf157)

	tests := []struct {
		name string
		opts FindOptions
		want string
	}{
		{"missing", FindOptions{Path: filepath.Join(t.TempDir(), "terraform")}, "no such file"},
		{"not terraform", FindOptions{Path: notBinary}, "neither Terraform nor OpenTofu"},
		{"wrong product", FindOptions{Path: filepath.Join(tf157, "terraform"), Product: OpenTofu}, `binary "tofu" is requested`},
		{"wrong version", FindOptions{Path: filepath.Join(tf157, "terraform"), Version: "1.6.3"}, "version 1.6.3 is pinned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Find(context.Background(), tt.opts)
			var nf *NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("error %v, want a *NotFoundError", err)
			}
			if len(nf.Attempts) != 1 || nf.Attempts[0].Source != "path "+tt.opts.Path {
				t.Errorf("attempts %+v, want only the explicit path", nf.Attempts)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestFindListsEveryAttempt(t *testing.T) {
	releases := httptest.NewServer(http.NotFoundHandler())
	defer releases.Close()
	t.Setenv("PATH", t.TempDir())
	cache := t.TempDir()

	_, err := Find(context.Background(), FindOptions{Version: "1.5.7", CacheDir: cache, releasesURL: releases.URL})
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("error %v, want a *NotFoundError", err)
	}
	want := []string{
		"terraform 1.5.7 on PATH",
		"tofu 1.5.7 on PATH",
		"any terraform on PATH",
		"any tofu on PATH",
		"download of terraform 1.5.7 into " + cache,
		"download of tofu 1.5.7",
	}
	var got []string
	for _, a := range nf.Attempts {
		got = append(got, a.Source)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("attempts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if msg := nf.Attempts[4].Err.Error(); !strings.Contains(msg, "404") {
		t.Errorf("download error %q does not include the server's status", msg)
	}
	if msg := nf.Attempts[5].Err.Error(); !strings.Contains(msg, "not supported") {
		t.Errorf("tofu download error %q, want not supported", msg)
	}
	for _, a := range nf.Attempts {
		if !strings.Contains(err.Error(), a.Source+": ") {
			t.Errorf("message does not list %q:\n%s", a.Source, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, "terraform")); len(entries) != 0 {
		t.Errorf("failed download left %d entries in the cache", len(entries))
	}
}

func TestFindWithoutPinSkipsDownload(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Find(context.Background(), FindOptions{Product: Terraform, CacheDir: t.TempDir()})
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("error %v, want a *NotFoundError", err)
	}
	last := nf.Attempts[len(nf.Attempts)-1]
	if last.Source != "download of terraform" || !strings.Contains(last.Err.Error(), "no version is pinned") {
		t.Errorf("last attempt %s: %v, want the download skipped for want of a pin", last.Source, last.Err)
	}
}

func TestFindRejectsInvalidOptions(t *testing.T) {
	for name, opts := range map[string]FindOptions{
		"product": {Product: "terragrunt"},
		"version": {Version: "latest"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Find(context.Background(), opts)
			var nf *NotFoundError
			if err == nil || errors.As(err, &nf) {
				t.Errorf("error %v, want an invalid option reported before any lookup", err)
			}
		})
	}
}

// releasesServer serves one Terraform release the way
// releases.hashicorp.com does: index.json, a zip, SHA256SUMS and its
// detached signature. tamper changes the zip after its checksum is taken.
type releasesServer struct {
	*httptest.Server
	key      string
	requests atomic.Int64
}

func newReleasesServer(t *testing.T, v string, binary []byte, tamper bool) *releasesServer {
	t.Helper()
	entity, err := openpgp.NewEntity("rollout test", "", "test@example.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	var key bytes.Buffer
	w, err := armor.Encode(&key, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := entity.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()

	var archive bytes.Buffer
	zw := zip.NewWriter(&archive)
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "terraform", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(binary)
	zw.Close()

	zipName := fmt.Sprintf("terraform_%s_%s_%s.zip", v, runtime.GOOS, runtime.GOARCH)
	sum := sha256.Sum256(archive.Bytes())
	sums := fmt.Appendf(nil, "%x  %s\n", sum, zipName)
	var sig bytes.Buffer
	if err := openpgp.DetachSign(&sig, entity, bytes.NewReader(sums), nil); err != nil {
		t.Fatal(err)
	}
	served := archive.Bytes()
	if tamper {
		served = append(bytes.Clone(served), 0)
	}

	base := "/terraform/" + v + "/"
	index, _ := json.Marshal(map[string]any{
		"name":               "terraform",
		"version":            v,
		"shasums":            "terraform_" + v + "_SHA256SUMS",
		"shasums_signatures": []string{"terraform_" + v + "_SHA256SUMS.sig"},
		"builds": []map[string]string{{
			"name": "terraform", "version": v, "os": runtime.GOOS, "arch": runtime.GOARCH,
			"filename": zipName, "url": base + zipName,
		}},
	})
	files := map[string]struct {
		contentType string
		body        []byte
	}{
		base + "index.json":                         {"application/json", index},
		base + zipName:                              {"application/zip", served},
		base + "terraform_" + v + "_SHA256SUMS":     {"text/plain", sums},
		base + "terraform_" + v + "_SHA256SUMS.sig": {"application/octet-stream", sig.Bytes()},
	}
	s := &releasesServer{key: key.String()}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.contentType)
		w.Write(f.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestFindDownloadsIntoCache(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fake binaries are shell scripts")
	}
	server := newReleasesServer(t, "1.5.7", fakeScript(Terraform, "1.5.7"), false)
	t.Setenv("PATH", t.TempDir())
	cache := t.TempDir()
	opts := FindOptions{Version: "1.5.7", CacheDir: cache, releasesURL: server.URL, releasesKey: server.key}

	bin, err := Find(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "terraform", "1.5.7", "terraform"); bin.Path != want {
		t.Errorf("path %s, want %s", bin.Path, want)
	}
	if bin.Source != "download" || bin.Version.String() != "1.5.7" {
		t.Errorf("source %q version %s, want a download of 1.5.7", bin.Source, bin.Version)
	}

	before := server.requests.Load()
	again, err := Find(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Source != "cache" || again.Path != bin.Path {
		t.Errorf("second find: source %q path %s, want the cached binary", again.Source, again.Path)
	}
	if n := server.requests.Load() - before; n != 0 {
		t.Errorf("second find made %d requests, want none", n)
	}
}

func TestFindRejectsTamperedDownload(t *testing.T) {
	server := newReleasesServer(t, "1.5.7", fakeScript(Terraform, "1.5.7"), true)
	t.Setenv("PATH", t.TempDir())
	cache := t.TempDir()

	_, err := Find(context.Background(), FindOptions{Version: "1.5.7", Product: Terraform, CacheDir: cache, releasesURL: server.URL, releasesKey: server.key})
	if err == nil || !strings.Contains(err.Error(), "failed verification") {
		t.Fatalf("error %v, want the download to fail verification", err)
	}
	if _, statErr := os.Stat(filepath.Join(cache, "terraform", "1.5.7")); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("tampered download reached the cache: %v", statErr)
	}
}

func TestBinaryCommand(t *testing.T) {
	b := Binary{Path: filepath.Join("opt", "tofu", "bin", "tofu"), Product: OpenTofu}
	if got := b.Command(); got != "tofu" {
		t.Errorf("Command() %q, want tofu", got)
	}
}

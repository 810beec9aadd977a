package stackgen_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/rollout-dev/rollout/pkg/stackgen"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// copyProject copies an example project into a temporary directory, so
// synthesis writes there and not into the repository.
func copyProject(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == ".rollout" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func synthesize(t *testing.T, dir string, syntax stackgen.Syntax) []stackgen.Instance {
	t.Helper()
	p, err := config.Load(filepath.Join(dir, "rollout.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	instances, err := stackgen.Synthesize(p, stackgen.Options{Syntax: syntax})
	if err != nil {
		t.Fatal(err)
	}
	return instances
}

func TestGoldenFiles(t *testing.T) {
	syntaxes := map[string]stackgen.Syntax{"tf1.5": stackgen.Syntax15, "tf1.6": stackgen.Syntax16}
	for _, example := range []string{"multi-region", "aws"} {
		for name, syntax := range syntaxes {
			t.Run(example+"/"+name, func(t *testing.T) {
				dir := copyProject(t, filepath.Join("..", "..", "examples", example))
				for _, in := range synthesize(t, dir, syntax) {
					got, err := os.ReadFile(filepath.Join(in.Dir, stackgen.FileName))
					if err != nil {
						t.Fatal(err)
					}
					golden := filepath.Join("testdata", "golden", example, name, in.Stack.Name, in.Region+".tf.json")
					if *update {
						if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(golden, got, 0o644); err != nil {
							t.Fatal(err)
						}
						continue
					}
					want, err := os.ReadFile(golden)
					if err != nil {
						t.Fatalf("%v (run go test ./pkg/stackgen -update to create it)", err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("%s differs from %s:\n%s", in.ID(), golden, got)
					}
				}
			})
		}
	}
}

func TestSynthesisIsDeterministic(t *testing.T) {
	a := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	b := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	first, second := synthesize(t, a, stackgen.Syntax15), synthesize(t, b, stackgen.Syntax15)
	for i := range first {
		x, _ := os.ReadFile(filepath.Join(first[i].Dir, stackgen.FileName))
		y, _ := os.ReadFile(filepath.Join(second[i].Dir, stackgen.FileName))
		if !bytes.Equal(x, y) || first[i].Revision != second[i].Revision {
			t.Errorf("%s: two syntheses of one project differ", first[i].ID())
		}
	}
}

// document is the part of main.tf.json the assertions below read.
type document struct {
	Terraform struct {
		Backend struct {
			S3 map[string]any `json:"s3"`
		} `json:"backend"`
	} `json:"terraform"`
	Provider map[string]map[string]any `json:"provider"`
	Module   map[string]map[string]any `json:"module"`
	Output   map[string]map[string]any `json:"output"`
}

func readDocument(t *testing.T, in stackgen.Instance) document {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(in.Dir, stackgen.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestBackendUsesStateRegion(t *testing.T) {
	dir := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	for _, in := range synthesize(t, dir, stackgen.Syntax15) {
		s3 := readDocument(t, in).Terraform.Backend.S3
		if s3["region"] != "us-east-1" {
			t.Errorf("%s: backend region %v, want the state bucket's us-east-1", in.ID(), s3["region"])
		}
		if want := "demo/site/" + in.Region + ".tfstate"; s3["key"] != want {
			t.Errorf("%s: key %v, want %s", in.ID(), s3["key"], want)
		}
	}
}

func TestProviderOnlyWhenModuleUsesAWS(t *testing.T) {
	tests := []struct {
		example string
		want    bool
	}{
		{"multi-region", false},
		{"aws", true},
	}
	for _, tt := range tests {
		dir := copyProject(t, filepath.Join("..", "..", "examples", tt.example))
		for _, in := range synthesize(t, dir, stackgen.Syntax16) {
			doc := readDocument(t, in)
			aws, ok := doc.Provider["aws"]
			if ok != tt.want {
				t.Errorf("%s %s: provider aws present %v, want %v", tt.example, in.ID(), ok, tt.want)
			}
			if ok && aws["region"] != in.Region {
				t.Errorf("%s: provider region %v", in.ID(), aws["region"])
			}
		}
	}
}

func TestInputsEscapeTemplates(t *testing.T) {
	dir := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	path := filepath.Join(dir, "rollout.hcl")
	src, _ := os.ReadFile(path)
	src = bytes.Replace(src, []byte(`"demo-assets-${region}"`), []byte(`"literal-$${var.x}-%%{if}-${region}"`), 1)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	in := synthesize(t, dir, stackgen.Syntax15)[0]
	got := readDocument(t, in).Module["site"]["bucket_name"]
	if got != "literal-$${var.x}-%%{if}-us-east-1" {
		t.Errorf("bucket_name %q: want template sequences escaped for Terraform", got)
	}
}

func TestUndeclaredInputRejected(t *testing.T) {
	dir := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	path := filepath.Join(dir, "rollout.hcl")
	src, _ := os.ReadFile(path)
	src = bytes.Replace(src, []byte("replicas    = 1"), []byte("replicas    = 1\n    colour      = \"red\""), 1)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = stackgen.Synthesize(p, stackgen.Options{})
	if err == nil || !strings.Contains(err.Error(), `input "colour" is not a variable`) {
		t.Errorf("error %v, want the undeclared input named", err)
	}
}

func TestRevisionFollowsModuleFiles(t *testing.T) {
	dir := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	before := synthesize(t, dir, stackgen.Syntax15)[0].Revision
	f := filepath.Join(dir, "modules", "site", "extra.tf")
	if err := os.WriteFile(f, []byte("locals {\n  x = 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	after := synthesize(t, dir, stackgen.Syntax15)[0].Revision
	if before == after {
		t.Errorf("revision %s unchanged after a module file was added", before)
	}
}

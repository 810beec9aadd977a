package stackgen_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rollout-dev/rollout/pkg/config"
	"github.com/rollout-dev/rollout/pkg/stackgen"
)

// lockfileProject copies the multi-region example and sets
// state.lockfile = true in it.
func lockfileProject(t *testing.T) *config.Project {
	t.Helper()
	dir := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	path := filepath.Join(dir, "rollout.hcl")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte(`lock_table = "demo-tflock"`), []byte("lock_table = \"demo-tflock\"\n  lockfile   = true"), 1)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !p.State.Lockfile {
		t.Fatal("state.lockfile not read from the project file")
	}
	return p
}

func TestLockfileEmittedFrom110(t *testing.T) {
	p := lockfileProject(t)
	instances, err := stackgen.Synthesize(p, stackgen.Options{Syntax: stackgen.Syntax110})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range instances {
		s3 := readDocument(t, in).Terraform.Backend.S3
		if s3["use_lockfile"] != true {
			t.Errorf("%s: use_lockfile %v, want true", in.ID(), s3["use_lockfile"])
		}
		if s3["dynamodb_table"] != "demo-tflock" {
			t.Errorf("%s: dynamodb_table %v, want lock_table kept beside use_lockfile", in.ID(), s3["dynamodb_table"])
		}
		if _, ok := s3["endpoints"]; !ok {
			t.Errorf("%s: no endpoints object; 1.10 takes the 1.6 settings", in.ID())
		}
	}
}

func TestLockfileRejectedBefore110(t *testing.T) {
	for name, syntax := range map[string]stackgen.Syntax{"tf1.5": stackgen.Syntax15, "tf1.6": stackgen.Syntax16} {
		t.Run(name, func(t *testing.T) {
			p := lockfileProject(t)
			_, err := stackgen.Synthesize(p, stackgen.Options{Syntax: syntax})
			if !errors.Is(err, stackgen.ErrLockfileUnsupported) {
				t.Fatalf("error %v, want ErrLockfileUnsupported", err)
			}
			if _, statErr := os.Stat(stackgen.StacksDir(p)); !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("instance directories written despite the error: %v", statErr)
			}
		})
	}
}

// Without lockfile, 1.10 gets byte for byte the configuration of 1.6, so
// upgrading Terraform alone changes no instance's revision.
func TestSyntax110WithoutLockfileMatches16(t *testing.T) {
	a := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	b := copyProject(t, filepath.Join("..", "..", "examples", "multi-region"))
	modern, latest := synthesize(t, a, stackgen.Syntax16), synthesize(t, b, stackgen.Syntax110)
	for i := range modern {
		x, err := os.ReadFile(filepath.Join(modern[i].Dir, stackgen.FileName))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(latest[i].Dir, stackgen.FileName))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s: 1.10 output differs from 1.6:\n%s\n---\n%s", modern[i].ID(), x, y)
		}
		if modern[i].Revision != latest[i].Revision {
			t.Errorf("%s: revision %s for 1.10, %s for 1.6", modern[i].ID(), latest[i].Revision, modern[i].Revision)
		}
		if _, ok := readDocument(t, latest[i]).Terraform.Backend.S3["use_lockfile"]; ok {
			t.Errorf("%s: use_lockfile written without state.lockfile", latest[i].ID())
		}
	}
}

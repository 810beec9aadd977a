package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// validate checks the rules that span blocks: regions are real and belong
// to one wave each, waves are named, non-empty and unique, stacks have a
// source that exists and dependencies that exist and form no cycle. It
// also checks the state bucket and region, and evaluates every instance's
// inputs.
func (p *Project) validate() hcl.Diagnostics {
	var diags hcl.Diagnostics
	diags = append(diags, p.validateWaves()...)
	diags = append(diags, p.validateRegionBlocks()...)
	diags = append(diags, p.validateStacks()...)
	diags = append(diags, p.validateState()...)
	diags = append(diags, p.validateInputs()...)
	return diags
}

func (p *Project) validateWaves() hcl.Diagnostics {
	var diags hcl.Diagnostics
	if len(p.Waves) == 0 {
		diags = append(diags, errorAt(&p.projectRange, "No waves",
			`A project needs at least one wave: add wave "canary" { regions = ["us-east-1"] }.`))
	}
	waveOf := map[string]int{}
	where := map[string]hcl.Range{}
	names := map[string]hcl.Range{}
	for i, w := range p.Waves {
		if strings.TrimSpace(w.Name) == "" {
			diags = append(diags, errorAt(&w.DeclRange, "Empty wave name",
				fmt.Sprintf("wave name %q is empty, but --wave, logs and resource tags refer to waves by name. Name it, for example: %s.", w.Name, blockExamples["wave"])))
		}
		if first, ok := names[w.Name]; ok {
			diags = append(diags, errorAt(&w.DeclRange, "Duplicate wave name",
				fmt.Sprintf("wave %q is already declared at %s; wave names must be unique, so rename one.", w.Name, first)))
		}
		names[w.Name] = w.DeclRange
		if len(p.waveRegions[i]) == 0 {
			diags = append(diags, errorAt(&w.DeclRange, "Empty wave",
				fmt.Sprintf("wave %q has no regions; list at least one, or remove the wave.", w.Name)))
		}
		for _, ref := range p.waveRegions[i] {
			diags = append(diags, checkRegionName(ref.name, ref.rng)...)
			if j, ok := waveOf[ref.name]; ok {
				if j == i {
					diags = append(diags, errorAt(&ref.rng, "Region listed twice",
						fmt.Sprintf("region %q is already listed in wave %q at %s; remove one of them.", ref.name, w.Name, where[ref.name])))
				} else {
					diags = append(diags, errorAt(&ref.rng, "Region in two waves",
						fmt.Sprintf("region %q is already in wave %q at %s; a region belongs to exactly one wave, so remove it from one of them.", ref.name, p.Waves[j].Name, where[ref.name])))
				}
				continue
			}
			waveOf[ref.name] = i
			where[ref.name] = ref.rng
		}
	}
	return diags
}

func checkRegionName(name string, rng hcl.Range) hcl.Diagnostics {
	known, optIn := regionKind(name)
	switch {
	case optIn:
		return hcl.Diagnostics{{
			Severity: hcl.DiagWarning,
			Summary:  "Opt-in region",
			Detail:   fmt.Sprintf("region %q is an opt-in region: it must be enabled on the account before anything deploys there.", name),
			Subject:  rng.Ptr(),
		}}
	case known:
		return nil
	}
	detail := fmt.Sprintf("%q is not an AWS region.", name) + regionHint(name)
	return hcl.Diagnostics{errorAt(&rng, "Unknown region", detail)}
}

// regionHint returns the sentence of a message that suggests a fix for an
// unknown region name.
func regionHint(name string) string {
	near := nearestRegion(name)
	switch {
	case near == "":
		return ` Use a region code such as "us-east-1" or "eu-west-1".`
	case near == strings.ToLower(strings.TrimSpace(name)):
		return fmt.Sprintf(" Did you mean %q? Region codes are lowercase, without spaces.", near)
	}
	return fmt.Sprintf(" Did you mean %q?", near)
}

func (p *Project) validateRegionBlocks() hcl.Diagnostics {
	var diags hcl.Diagnostics
	inWave := map[string]bool{}
	for _, w := range p.Waves {
		for _, r := range w.Regions {
			inWave[r] = true
		}
	}
	for _, name := range sortedKeys(p.Regions) {
		r := p.Regions[name]
		if known, _ := regionKind(name); !known {
			diags = append(diags, checkRegionName(name, r.DeclRange)...)
			continue
		}
		if !inWave[name] {
			diags = append(diags, errorAt(&r.DeclRange, "Region not in any wave",
				fmt.Sprintf("region %q has overrides but no wave lists it; add it to a wave's regions, or remove the block.", name)))
		}
	}
	return diags
}

func (p *Project) validateStacks() hcl.Diagnostics {
	var diags hcl.Diagnostics
	if len(p.Stacks) == 0 {
		diags = append(diags, errorAt(&p.projectRange, "No stacks",
			`A project needs at least one stack: add stack "app" { source = "./modules/app" }.`))
	}
	byName := map[string]*Stack{}
	for _, s := range p.Stacks {
		byName[s.Name] = s
	}
	for _, s := range p.Stacks {
		diags = append(diags, p.checkSource(s)...)
		for _, dep := range s.DependsOn {
			switch {
			case dep == s.Name:
				diags = append(diags, errorAt(&s.dependsOnRange, "Stack depends on itself",
					fmt.Sprintf("stack %q lists itself in depends_on. Remove %q from its depends_on.", s.Name, dep)))
			case byName[dep] == nil:
				diags = append(diags, p.unknownDependency(s, dep))
			}
		}
	}
	if cycle := findCycle(p.Stacks, byName); cycle != nil {
		first := byName[cycle[0]]
		diags = append(diags, errorAt(&first.DeclRange, "Dependency cycle",
			fmt.Sprintf("stacks depend on each other in a cycle: %s; remove one of these depends_on entries.", strings.Join(cycle, " -> "))))
	}
	return diags
}

func (p *Project) unknownDependency(s *Stack, dep string) *hcl.Diagnostic {
	names := stackNames(p.Stacks)
	var others []string
	for _, name := range names {
		if name != s.Name {
			others = append(others, name)
		}
	}
	detail := fmt.Sprintf("stack %q depends on %q, which is not declared.", s.Name, dep)
	if near := nearestName(dep, others, 3); near != "" {
		detail += fmt.Sprintf(" Did you mean %q?", near)
	} else {
		detail += fmt.Sprintf(" Declare stack %q, or remove it from depends_on.", dep)
	}
	detail += fmt.Sprintf(" Declared stacks: %s.", strings.Join(names, ", "))
	return errorAt(&s.dependsOnRange, "Unknown dependency", detail)
}

func (p *Project) checkSource(s *Stack) hcl.Diagnostics {
	if strings.TrimSpace(s.Source) == "" {
		return hcl.Diagnostics{errorAt(&s.sourceRange, "Empty stack source",
			fmt.Sprintf("stack %q has source %q. Set it to the module's directory, relative to %s, for example: %s.", s.Name, s.Source, p.Dir, attributeExamples["source"]))}
	}
	dir := p.SourceDir(s)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return hcl.Diagnostics{errorAt(&s.sourceRange, "Stack source not found",
			fmt.Sprintf("stack %q has source %q, but %s does not exist. Set source to the module's directory, relative to %s.", s.Name, s.Source, dir, p.Dir))}
	case err != nil:
		return hcl.Diagnostics{errorAt(&s.sourceRange, "Stack source not readable",
			fmt.Sprintf("stack %q has source %q, but reading it failed: %v. Check the directory's permissions.", s.Name, s.Source, err))}
	case !info.IsDir():
		return hcl.Diagnostics{errorAt(&s.sourceRange, "Stack source is not a directory",
			fmt.Sprintf("stack %q has source %q, which is a file. Point it at the module's directory: source = %q.", s.Name, s.Source, parentDir(s.Source)))}
	}
	tfFiles, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	jsonFiles, _ := filepath.Glob(filepath.Join(dir, "*.tf.json"))
	if len(tfFiles)+len(jsonFiles) == 0 {
		return hcl.Diagnostics{errorAt(&s.sourceRange, "Stack source has no Terraform files",
			fmt.Sprintf("stack %q has source %q, but %s contains no .tf or .tf.json file. Point source at the directory that contains the module's Terraform files.", s.Name, s.Source, dir))}
	}
	return nil
}

// parentDir returns the directory of a source path written as a file,
// keeping the "./" that marks a relative module source.
func parentDir(source string) string {
	dir := filepath.ToSlash(filepath.Dir(source))
	if !filepath.IsAbs(source) && !strings.HasPrefix(dir, ".") {
		dir = "./" + dir
	}
	return dir
}

func (p *Project) validateState() hcl.Diagnostics {
	var diags hcl.Diagnostics
	if !validBucketName(p.State.Bucket) {
		diags = append(diags, errorAt(&p.stateBucketRange, "Invalid state bucket name",
			fmt.Sprintf("state bucket %q is not a valid S3 bucket name. Bucket names have 3 to 63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit. For example: %s.", p.State.Bucket, attributeExamples["bucket"])))
	}
	if known, _ := regionKind(p.State.Region); !known {
		detail := fmt.Sprintf("state region %q is not an AWS region.", p.State.Region) + regionHint(p.State.Region)
		diags = append(diags, errorAt(&p.stateRegionRange, "Unknown state region", detail))
	}
	return diags
}

// validBucketName checks the length, the characters, the first and last
// character and adjacent dots of an S3 bucket name (Amazon S3 User Guide,
// "General purpose bucket naming rules"). NOTE: it does not check the
// reserved prefixes and suffixes, such as "xn--" or "-s3alias", or names
// formatted as IP addresses, which S3 also rejects.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") {
		return false
	}
	for i, r := range name {
		alnum := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		edge := i == 0 || i == len(name)-1
		if !alnum && (edge || (r != '.' && r != '-')) {
			return false
		}
	}
	return true
}

// findCycle returns the stack names of one depends_on cycle, first name
// repeated at the end, or nil when there is none.
func findCycle(stacks []*Stack, byName map[string]*Stack) []string {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) []string
	visit = func(name string) []string {
		switch state[name] {
		case visiting:
			for i, n := range path {
				if n == name {
					return append(append([]string{}, path[i:]...), name)
				}
			}
		case done:
			return nil
		}
		state[name] = visiting
		path = append(path, name)
		if s := byName[name]; s != nil {
			for _, dep := range s.DependsOn {
				if dep == name {
					continue // validateStacks reports a stack that lists itself
				}
				if c := visit(dep); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	for _, s := range stacks {
		if c := visit(s.Name); c != nil {
			return c
		}
	}
	return nil
}

func stackNames(stacks []*Stack) []string {
	names := make([]string, len(stacks))
	for i, s := range stacks {
		names[i] = s.Name
	}
	return names
}

func errorAt(rng *hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng}
}

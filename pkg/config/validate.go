package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// validate checks the rules that span blocks: regions are real and belong
// to one wave each, waves are non-empty and uniquely named, stacks have a
// source that exists and dependencies that exist and form no cycle.
func (p *Project) validate() hcl.Diagnostics {
	var diags hcl.Diagnostics
	diags = append(diags, p.validateWaves()...)
	diags = append(diags, p.validateRegionBlocks()...)
	diags = append(diags, p.validateStacks()...)
	diags = append(diags, p.validateState()...)
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
	detail := fmt.Sprintf("%q is not an AWS region.", name)
	if near := nearestRegion(name); near != "" {
		detail += fmt.Sprintf(" Did you mean %q?", near)
	} else {
		detail += ` Use a region code such as "us-east-1" or "eu-west-1".`
	}
	return hcl.Diagnostics{errorAt(&rng, "Unknown region", detail)}
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
			if byName[dep] == nil {
				diags = append(diags, errorAt(&s.dependsOnRange, "Unknown dependency",
					fmt.Sprintf("stack %q depends on %q, which is not declared; declared stacks: %s.", s.Name, dep, strings.Join(stackNames(p.Stacks), ", "))))
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

func (p *Project) checkSource(s *Stack) hcl.Diagnostics {
	dir := p.SourceDir(s)
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return hcl.Diagnostics{errorAt(&s.sourceRange, "Stack source not found",
			fmt.Sprintf("stack %q has source %q, but %s does not exist; source is a module directory relative to %s.", s.Name, s.Source, dir, p.File))}
	case !info.IsDir():
		return hcl.Diagnostics{errorAt(&s.sourceRange, "Stack source is not a directory",
			fmt.Sprintf("stack %q has source %q, which is a file; point it at the module's directory.", s.Name, s.Source))}
	}
	tfFiles, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	jsonFiles, _ := filepath.Glob(filepath.Join(dir, "*.tf.json"))
	if len(tfFiles)+len(jsonFiles) == 0 {
		return hcl.Diagnostics{errorAt(&s.sourceRange, "Stack source has no Terraform files",
			fmt.Sprintf("stack %q has source %q, but %s holds no .tf or .tf.json file.", s.Name, s.Source, dir))}
	}
	return nil
}

func (p *Project) validateState() hcl.Diagnostics {
	if p.State.Region == "" {
		return nil
	}
	var diags hcl.Diagnostics
	if known, _ := regionKind(p.State.Region); !known {
		detail := fmt.Sprintf("state region %q is not an AWS region.", p.State.Region)
		if near := nearestRegion(p.State.Region); near != "" {
			detail += fmt.Sprintf(" Did you mean %q?", near)
		}
		diags = append(diags, errorAt(&p.stateRange, "Unknown state region", detail))
	}
	return diags
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

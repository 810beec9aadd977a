package config

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/agext/levenshtein"
)

// standardRegions are the AWS commercial regions enabled on every account.
var standardRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"ca-central-1", "sa-east-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-southeast-1", "ap-southeast-2",
}

// optInRegions are the AWS commercial regions an account must enable before
// it can deploy there (AWS documentation, "Opt-in Regions", as of 2025).
var optInRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-south-2",
	"ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2",
	"il-central-1", "me-central-1", "me-south-1", "mx-central-1",
}

// regionKind reports whether name is a standard region, an opt-in one, or
// not an AWS commercial region at all.
func regionKind(name string) (known, optIn bool) {
	for _, r := range standardRegions {
		if r == name {
			return true, false
		}
	}
	for _, r := range optInRegions {
		if r == name {
			return true, true
		}
	}
	return false, false
}

// nearestRegion returns the known region closest to name by edit distance,
// or "" when none is close enough to be a plausible typo. Case and
// surrounding spaces do not count as typos, so "US-EAST-1 " finds
// "us-east-1".
func nearestRegion(name string) string {
	all := append(append([]string{}, standardRegions...), optInRegions...)
	sort.Strings(all)
	return nearestName(strings.ToLower(strings.TrimSpace(name)), all, 3)
}

// nearestName returns the candidate closest to name by edit distance, at
// most maxDistance edits away, or "" when there is none. Ties go to the
// earlier candidate.
func nearestName(name string, candidates []string, maxDistance int) string {
	best, bestDist := "", maxDistance+1
	for _, c := range candidates {
		// The edit distance is at least the difference in length, and
		// skipping those candidates keeps long input cheap.
		if abs(utf8.RuneCountInString(name)-utf8.RuneCountInString(c)) > maxDistance {
			continue
		}
		if d := levenshtein.Distance(name, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

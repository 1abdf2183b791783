package cli

import (
	"slices"
	"strings"
)

// DidYouMean is " (did you mean X?)" naming the candidates nearest to
// word (at most 2 edits, or a prefix), each with prefix ("--" for flags);
// "" when none is near.
func DidYouMean(word string, candidates []string, prefix string) string {
	near := suggest(word, candidates)
	if len(near) == 0 {
		return ""
	}
	for i, n := range near {
		near[i] = prefix + n
	}
	return " (did you mean " + strings.Join(near, " or ") + "?)"
}

// suggest returns the candidates within 2 edits of word (or that it
// begins), nearest first, at most 3.
func suggest(word string, candidates []string) []string {
	type scored struct {
		name string
		d    int
	}
	var near []scored
	for _, c := range slices.Compact(slices.Sorted(slices.Values(candidates))) {
		d := distance(strings.ToLower(word), strings.ToLower(c))
		if d <= 2 || len(word) >= 2 && strings.HasPrefix(c, word) {
			near = append(near, scored{c, d})
		}
	}
	slices.SortStableFunc(near, func(a, b scored) int { return a.d - b.d })
	var out []string
	for _, s := range near[:min(len(near), 3)] {
		out = append(out, s.name)
	}
	return out
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

package cli

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"steps", "steps", 0}, {"stpes", "steps", 2}, {"methd", "method", 1}, {"ζ", "z", 1}, {"", "abc", 3}} {
		if got := distance(c.a, c.b); got != c.d {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	names := []string{"method", "methods", "steps", "sigma", "seed"}
	for _, c := range []struct{ word, want string }{
		{"methd", " (did you mean --method or --methods?)"},
		{"stpes", " (did you mean --steps?)"},
		{"se", " (did you mean --seed?)"},
		{"xyzzy", ""},
	} {
		if got := DidYouMean(c.word, names, "--"); got != c.want {
			t.Errorf("%q: %q, want %q", c.word, got, c.want)
		}
	}
}

package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseFile(t *testing.T) {
	f, err := ParseFile("c.toml", []byte(`# defaults
theme = "light"
sigma = 0.1
steps = 200
json = true
zeta = [0.1, 1]

[run]
steps = 50

[prior.export]
prior = "gmm25:d=8"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"", "theme", "light", 2}, {"", "sigma", "0.1", 3}, {"", "steps", "200", 4}, {"", "json", "true", 5},
		{"", "zeta", "0.1,1", 6}, {"run", "steps", "50", 9}, {"prior export", "prior", "gmm25:d=8", 12},
	}
	if !slices.Equal(f.Entries, want) {
		t.Errorf("entries\n%v\nwant\n%v", f.Entries, want)
	}
	if w := f.Where(f.Entries[5]); w != "c.toml:9" {
		t.Errorf("where %q", w)
	}
}

// TestParseFileErrors: a malformed file is an error naming the file and
// the line.
func TestParseFileErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"theme = \"light\"\nsteps = \n", "c.toml:2:"},
		{"a = 1\n[run\nsteps = 2\n", "c.toml:2:"},
		{"a = 1\nb = 2\nb = 3\n", "c.toml:3:"},
		{"a = 1\nwhen = 1979-05-27\n", "c.toml:2: when: a date"},
		{"a = 1\n\nm = [[1], [2]]\n", "c.toml:3: m: an array of arrays"},
		{"a = 1\n[[run]]\nsteps = 2\n", "c.toml:2: an array of tables"},
		{"theme = 'light\n", "c.toml:1:"},
	} {
		_, err := ParseFile("c.toml", []byte(c.text))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one starting %q", c.text, err, c.want)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	if f, err := ReadFile(filepath.Join(dir, "none.toml"), true); f != nil || err != nil {
		t.Errorf("optional missing file: %v, %v", f, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "none.toml"), false); err == nil {
		t.Error("a missing --config file accepted")
	}
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big, true); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a file over the bound: %v", err)
	}
	if _, err := ReadFile(dir, true); err == nil {
		t.Error("a directory read as a config file")
	}
}

func TestDefaultPath(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"XDG_CONFIG_HOME=/x", "HOME=/h"}, "/x/tweedie/config.toml"},
		{[]string{"XDG_CONFIG_HOME=relative", "HOME=/h"}, "/h/.config/tweedie/config.toml"},
		{[]string{"HOME=/h"}, "/h/.config/tweedie/config.toml"},
		{nil, ""},
	} {
		if got := DefaultPath(c.env, "config.toml"); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}

// FuzzParseFile: any input parses or fails with an error naming the
// file, and never panics; every entry parsed has a line in the input.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{"a = 1\n[run]\nsteps = 2\n", "x = [1, 'a']", "[a.b]\nc = true", "a = {b = 1}", "= 1", "[[t]]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile("f.toml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.toml") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range file.Entries {
			if e.Line < 1 || e.Line > lines {
				t.Errorf("entry %+v: line outside the %d lines", e, lines)
			}
		}
	})
}

package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// isolate gives the test a home and a configuration directory of its own
// (/xdg, without config file, unless the test writes one) and no TWEEDIE_
// variable, so that what the machine holds changes no output.
func isolate(t *testing.T) string {
	t.Helper()
	t.Setenv("HOME", "/home/user")
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TWEEDIE_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	return "/xdg"
}

// golden compares got with testdata/NAME.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -run %s -update rewrites it):\n%s", name, path, t.Name(), got)
	}
}

// TestHelpGolden: the help page of every command, as a user sees it off a
// terminal (80 columns, no colour); every line fits 80 columns.
func TestHelpGolden(t *testing.T) {
	isolate(t)
	noScreen(t)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"tweedie", []string{"-h"}},
		{"run", []string{"run", "-h"}},
		{"run-dps", []string{"run", "--method", "dps", "-h"}},
		{"lab", []string{"lab", "-h"}},
		{"lab-pig-dps", []string{"lab", "--methods", "pig,dps", "-h"}},
		{"posterior", []string{"posterior", "-h"}},
		{"tour", []string{"tour", "-h"}},
		{"serve", []string{"serve", "-h"}},
		{"render", []string{"render", "-h"}},
		{"prior", []string{"prior", "-h"}},
		{"prior-export", []string{"prior", "export", "-h"}},
		{"prior-list", []string{"prior", "list", "-h"}},
		{"worker", []string{"worker", "-h"}},
		{"config", []string{"config", "-h"}},
		{"completion", []string{"completion", "-h"}},
	} {
		code, stdout, stderr := runMain(t, c.args...)
		if code != 0 || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q", c.args, code, stderr)
		}
		for i, line := range strings.Split(stdout, "\n") {
			if w := ansi.StringWidth(line); w > 80 {
				t.Errorf("%q: line %d is %d columns: %q", c.args, i+1, w, line)
			}
		}
		golden(t, filepath.Join("help", c.name), stdout)
	}
}

// TestCompletionGolden: completions from the registries, and of the
// parameters of the method on the line.
func TestCompletionGolden(t *testing.T) {
	isolate(t)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"method", []string{"run", "--method", ""}},
		{"methods-list", []string{"lab", "--methods", "pig,"}},
		{"op", []string{"run", "--op", ""}},
		{"prior", []string{"--prior", ""}},
		{"prior-export", []string{"prior", "export", "--prior", ""}},
		{"flags-dps", []string{"run", "--method", "dps", "--"}},
		{"flags-lab-pig-dps", []string{"lab", "--methods", "pig,dps", "--"}},
		{"dps-form", []string{"run", "--method", "dps", "--dps-form", ""}},
		{"sweep", []string{"lab", "--sweep", ""}},
		{"graphics", []string{"render", "--graphics", ""}},
		{"commands", []string{""}},
	} {
		code, stdout, stderr := runMain(t, append([]string{"__complete"}, c.args...)...)
		if code != 0 {
			t.Errorf("%q: exit %d, %q", c.args, code, stderr)
		}
		golden(t, filepath.Join("complete", c.name), stdout)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, stdout, _ := runMain(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, "tweedie") || len(stdout) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, len(stdout))
		}
	}
}

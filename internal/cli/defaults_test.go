package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// testTree is a root with a command "run" that has --theme, --steps,
// --image and --image-file (exclusive), and a command "lab" with --seeds.
func testTree() (root, run *cobra.Command) {
	root = &cobra.Command{Use: "tweedie"}
	run = &cobra.Command{Use: "run", RunE: func(*cobra.Command, []string) error { return nil }}
	run.Flags().String("theme", "auto", "")
	run.Flags().Int("steps", 1000, "")
	run.Flags().String("image", "0", "")
	run.Flags().String("image-file", "", "")
	Exclusive(run.Flags(), "image", "image-file")
	lab := &cobra.Command{Use: "lab", RunE: func(*cobra.Command, []string) error { return nil }}
	lab.Flags().Int("seeds", 100, "")
	root.AddCommand(run, lab)
	return root, run
}

// applyTo parses args on run and applies the layers; it returns the
// values and origins of run's flags.
func applyTo(t *testing.T, file string, env []string, args ...string) (map[string][2]string, error) {
	t.Helper()
	_, run := testTree()
	if err := run.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	d := Defaults{Environ: env}
	if file != "" {
		f, err := ParseFile("c.toml", []byte(file))
		if err != nil {
			t.Fatal(err)
		}
		d.File = f
	}
	if err := d.Apply(run); err != nil {
		return nil, err
	}
	got := map[string][2]string{}
	for _, n := range []string{"theme", "steps", "image", "image-file"} {
		f := run.Flags().Lookup(n)
		got[n] = [2]string{f.Value.String(), Origin(f)}
	}
	return got, nil
}

// TestPrecedence: one case per layer: the built-in default, the file's
// top, the file's table, the environment, the command line.
func TestPrecedence(t *testing.T) {
	file := "theme = \"dark\"\nsteps = 10\n\n[run]\nsteps = 20\n"
	for _, c := range []struct {
		name      string
		file      string
		env       []string
		args      []string
		flag      string
		value, by string
	}{
		{"built-in", "", nil, nil, "theme", "auto", "default"},
		{"file, top", file, nil, nil, "theme", "dark", "c.toml:1"},
		{"file, the command's table over the top", file, nil, nil, "steps", "20", "c.toml:5"},
		{"environment over file", file, []string{"TWEEDIE_THEME=light"}, nil, "theme", "light", "env TWEEDIE_THEME"},
		{"the last of an environment variable set twice", "", []string{"TWEEDIE_STEPS=3", "TWEEDIE_STEPS=4"}, nil, "steps", "4", "env TWEEDIE_STEPS"},
		{"flag over environment and file", file, []string{"TWEEDIE_STEPS=3"}, []string{"--steps", "7"}, "steps", "7", "flag"},
		{"a flag of an exclusive set leaves the other alone", "image-file = \"x.png\"\n", nil, []string{"--image", "3"}, "image-file", "", "default"},
		{"exclusive partner from the file alone", "image-file = \"x.png\"\n", nil, nil, "image-file", "x.png", "c.toml:1"},
	} {
		got, err := applyTo(t, c.file, c.env, c.args...)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if g := got[c.flag]; g != [2]string{c.value, c.by} {
			t.Errorf("%s: --%s = %q from %q, want %q from %q", c.name, c.flag, g[0], g[1], c.value, c.by)
		}
	}
}

// TestDefaultsErrors: a value a flag refuses names where it came from; a
// key that is no flag names the line and the nearest flag.
func TestDefaultsErrors(t *testing.T) {
	for _, c := range []struct {
		file string
		env  []string
		want string
	}{
		{"", []string{"TWEEDIE_STEPS=many"}, "env TWEEDIE_STEPS: steps = \"many\""},
		{"theme = \"x\"\nsteps = \"many\"\n", nil, "c.toml:2: steps = \"many\""},
		{"\nstpes = 3\n", nil, "c.toml:2: stpes: no such setting (did you mean steps?)"},
		{"[run]\nseeds = 3\n", nil, "c.toml:2: seeds: no such setting"},
		{"[nope]\nseeds = 3\n", nil, "c.toml:2: [nope]: no such command"},
		{"help = true\n", nil, "c.toml:1: help: no such setting"},
	} {
		_, err := applyTo(t, c.file, c.env)
		var ue *UsageError
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !errors.As(err, &ue) {
			t.Errorf("%q %v: error %v, want a usage error starting %q", c.file, c.env, err, c.want)
		}
	}
	// A key of another command's table is checked, not applied.
	if got, err := applyTo(t, "[lab]\nseeds = 3\n", nil); err != nil || got["steps"][1] != "default" {
		t.Errorf("[lab] seeds: %v %v", got, err)
	}
}

func TestGivenAndReset(t *testing.T) {
	_, run := testTree()
	d := Defaults{Environ: []string{"TWEEDIE_THEME=light"}}
	if err := d.Apply(run); err != nil {
		t.Fatal(err)
	}
	if !Given(run, "theme") || Given(run, "steps") {
		t.Errorf("given: theme %v, steps %v", Given(run, "theme"), Given(run, "steps"))
	}
	f := run.Flags().Lookup("theme")
	if err := Reset(f); err != nil || f.Value.String() != "auto" || Origin(f) != "default" {
		t.Errorf("reset: %q from %q (%v)", f.Value.String(), Origin(f), err)
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// configHome makes a configuration directory with the files given (name
// → TOML) and points XDG_CONFIG_HOME at it; it returns the tweedie
// directory in it.
func configHome(t *testing.T, files map[string]string) string {
	t.Helper()
	isolate(t)
	home := t.TempDir()
	dir := filepath.Join(home, "tweedie")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("XDG_CONFIG_HOME", home)
	return dir
}

// runSteps runs `tweedie run --json` with args and returns steps_done.
func runSteps(t *testing.T, args ...string) int {
	t.Helper()
	code, stdout, stderr := runMain(t, append([]string{"run", "--json", "--no-exact"}, args...)...)
	if code != 0 {
		t.Fatalf("run %q: exit %d: %s", args, code, stderr)
	}
	var sum struct {
		Steps int `json:"steps_done"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	return sum.Steps
}

// TestConfigPrecedence: flag > environment > file ([run] over the top) >
// built-in, one case each, as `tweedie run` uses them.
func TestConfigPrecedence(t *testing.T) {
	configHome(t, map[string]string{"config.toml": "steps = 4\nsigma = 0.1\n[run]\nsteps = 3\n"})
	if got := runSteps(t); got != 3 {
		t.Errorf("the file's [run] table: %d steps, want 3", got)
	}
	t.Setenv("TWEEDIE_STEPS", "5")
	if got := runSteps(t); got != 5 {
		t.Errorf("the environment over the file: %d steps, want 5", got)
	}
	if got := runSteps(t, "--steps", "6"); got != 6 {
		t.Errorf("the flag over the environment: %d steps, want 6", got)
	}
	os.Unsetenv("TWEEDIE_STEPS")
	other := filepath.Join(t.TempDir(), "other.toml")
	if err := os.WriteFile(other, []byte("steps = 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runSteps(t, "--config", other); got != 7 {
		t.Errorf("--config FILE: %d steps, want 7", got)
	}
	t.Setenv("TWEEDIE_CONFIG", other)
	if got := runSteps(t); got != 7 {
		t.Errorf("TWEEDIE_CONFIG: %d steps, want 7", got)
	}
	os.Unsetenv("TWEEDIE_CONFIG")
	configHome(t, nil)
	if got := runSteps(t, "--steps", "1000"); got != 1000 {
		t.Errorf("built-in: %d steps", got)
	}
}

// TestConfigCommand: tweedie config prints each setting's value and where
// it came from; tweedie serve reads serve.toml, not config.toml.
func TestConfigCommand(t *testing.T) {
	dir := configHome(t, map[string]string{
		"config.toml": "theme = \"light\"\nsteps = 200\n\n[run]\nsteps = 50\n",
		"serve.toml":  "theme = \"dark\"\nmax-sessions = 2\n",
	})
	t.Setenv("TWEEDIE_SIGMA", "0.2")
	show := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runMain(t, append([]string{"config"}, args...)...)
		if code != 0 {
			t.Fatalf("config %q: exit %d: %s", args, code, stderr)
		}
		return strings.ReplaceAll(stdout, dir, "DIR")
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{`--theme +light +DIR/config.toml:1`, `--steps +200 +DIR/config.toml:2`, `--sigma +0.2 +env TWEEDIE_SIGMA`, `--method +pig +default`}},
		{[]string{"run"}, []string{`--steps +50 +DIR/config.toml:5`, `--sigma +0.2 +env TWEEDIE_SIGMA`, `--r +auto +default`}},
		{[]string{"serve"}, []string{`--theme +dark +DIR/serve.toml:1`, `--max-sessions +2 +DIR/serve.toml:2`, `--steps +1000 +default`}},
	} {
		out := show(c.args...)
		for _, w := range c.want {
			if !regexp.MustCompile(`(?m)^  ` + w + `$`).MatchString(out) {
				t.Errorf("config %q lacks %q:\n%s", c.args, w, out)
			}
		}
	}
	if code, _, stderr := runMain(t, "config", "nope"); code != 2 || !strings.Contains(stderr, "nope: no such command") {
		t.Errorf("config nope: exit %d, %q", code, stderr)
	}
}

// TestConfigErrors: a malformed file, a key that is no setting and a value
// a flag refuses are usage errors on one line naming the file's line or
// the variable; nothing runs.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		file string
		env  []string
		want string
	}{
		{"steps = 3\nsigma = \n", nil, "config.toml:2:"},
		{"steps = 3\n\nsgima = 0.1\n", nil, "config.toml:3: sgima: no such setting (did you mean sigma?)"},
		{"[run]\nsigma = \"much\"\n", nil, "config.toml:2: sigma = \"much\""},
		{"", []string{"TWEEDIE_SIGMA=much"}, "env TWEEDIE_SIGMA: sigma = \"much\""},
	} {
		configHome(t, map[string]string{"config.toml": c.file})
		for _, kv := range c.env {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		code, stdout, stderr := runMain(t, "run", "--steps", "2", "--json")
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q %v: exit %d, stderr %q; want 2 and %q", c.file, c.env, code, stderr, c.want)
		}
		for _, kv := range c.env {
			k, _, _ := strings.Cut(kv, "=")
			os.Unsetenv(k)
		}
	}
}

// TestConfigMethodParameters: a method parameter from the file applies to
// the methods that take it and is ignored by the others; on the command
// line it is refused where no method takes it.
func TestConfigMethodParameters(t *testing.T) {
	configHome(t, map[string]string{"config.toml": "zeta = 0.7\n"})
	code, stdout, stderr := runMain(t, "run", "--method", "dps", "--steps", "2", "--json", "--no-exact")
	if code != 0 || !strings.Contains(stdout, `"zeta": "0.7"`) {
		t.Errorf("DPS with the file's ζ: exit %d, %s%s", code, stderr, stdout)
	}
	if code, _, stderr := runMain(t, "run", "--method", "pig", "--steps", "2", "--json", "--no-exact"); code != 0 {
		t.Errorf("ΠG beside the file's ζ: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runMain(t, "lab", "--methods", "pig", "--zeta", "1", "--seeds", "2", "--steps", "2"); code != 2 ||
		!strings.Contains(stderr, "--zeta: ΠG does not take it; it is a parameter of DPS, MCG") {
		t.Errorf("lab --methods pig --zeta 1: exit %d, %q", code, stderr)
	}
}

// TestConfigTourSetsAside: the settings each stop of the tour sets are
// refused on its command line, and left aside from the file.
func TestConfigTourSetsAside(t *testing.T) {
	got := noScreen(t)
	configHome(t, map[string]string{"config.toml": "method = \"dps\"\nop = \"sr:factor=4\"\nzeta = 2\nsteps = 40\n"})
	if code, _, stderr := runMain(t, "tour"); code != 0 {
		t.Fatalf("tour: exit %d, %s", code, stderr)
	}
	if s := got.Settings; s.Method != "pig" || s.Op != "inpaint-box:size=14" || len(s.Params) != 0 || s.Steps != 40 {
		t.Errorf("tour's settings %+v: want the built-in method, operator and parameters, the file's steps", s)
	}
}

package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"
)

// toyProgram is a program whose command "do" returns what its --fail
// flag says.
func toyProgram(stdout, stderr *bytes.Buffer, environ []string) Program {
	root := &cobra.Command{Use: "toy", Short: "a toy", RunE: func(*cobra.Command, []string) error { return nil }}
	var fail string
	do := &cobra.Command{
		Use: "do", Short: "does what --fail says", Example: "# a comment\ntoy do --fail usage",
		RunE: func(*cobra.Command, []string) error {
			switch fail {
			case "usage":
				return Usagef("--fail usage: a usage error")
			case "failure":
				return errors.New("it failed")
			case "signal":
				return &SignalError{Signal: syscall.SIGTERM, Msg: "stopped"}
			case "interrupt":
				return Interrupted("interrupted; nothing written")
			}
			return nil
		},
	}
	do.Flags().StringVar(&fail, "fail", "", "what to `RETURN`: usage, failure, signal or interrupt")
	do.Flags().Int("count", 3, "a count `N`")
	SetGroup(do.Flags(), "outcome", "fail")
	root.AddCommand(do)
	return Program{
		Root: root, Help: Help{Groups: []string{"outcome", "general"}, GeneralGroup: "general", Width: 80},
		Defaults: func(*cobra.Command) (Defaults, error) { return Defaults{Environ: environ}, nil },
		Stdout:   stdout, Stderr: stderr, Environ: environ,
	}
}

func execute(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := toyProgram(&stdout, &stderr, environ).Execute(context.Background(), args)
	return code, stdout.String(), stderr.String()
}

// TestExitStatuses: 0, 1, 2, 130 and 128 + N, each error on one line off
// a terminal, naming the command, the usage errors pointing to -h.
func TestExitStatuses(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"do"}, 0, ""},
		{[]string{"do", "--fail", "failure"}, 1, "toy do: it failed\n"},
		{[]string{"do", "--fail", "usage"}, 2, "toy do: --fail usage: a usage error (run toy do -h for usage)\n"},
		{[]string{"do", "--fial", "x"}, 2, "toy do: unknown flag --fial (did you mean --fail?) (run toy do -h for usage)\n"},
		{[]string{"do", "--count", "x"}, 2, "toy do: --count \"x\": want a whole number (run toy do -h for usage)\n"},
		{[]string{"do", "--fail"}, 2, "toy do: --fail: needs a value (run toy do -h for usage)\n"},
		{[]string{"do", "--fail", "signal"}, 128 + 15, "toy do: stopped\n"},
		{[]string{"do", "--fail", "interrupt"}, 130, "toy do: interrupted; nothing written\n"},
		{[]string{"do", "-fail", "usage"}, 2, "toy do: --fail usage: a usage error (run toy do -h for usage)\n"},
	} {
		code, _, stderr := execute(t, nil, c.args...)
		if code != c.code || stderr != c.stderr {
			t.Errorf("%q: exit %d, stderr %q; want %d, %q", c.args, code, stderr, c.code, c.stderr)
		}
	}
	// The environment gives --fail as the config file would.
	if code, _, stderr := execute(t, []string{"TWEEDIE_FAIL=failure"}, "do"); code != 1 || stderr != "toy do: it failed\n" {
		t.Errorf("TWEEDIE_FAIL=failure: exit %d, %q", code, stderr)
	}
}

// TestHelpPages: -h, --help, -help and `help do` draw the same page, with
// the flags in their groups; --version prints the build's version.
func TestHelpPages(t *testing.T) {
	_, want, _ := execute(t, nil, "do", "-h")
	for _, args := range [][]string{{"do", "--help"}, {"do", "-help"}, {"help", "do"}} {
		if code, out, stderr := execute(t, nil, args...); code != 0 || out != want || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q, page differs from do -h: %v", args, code, stderr, out != want)
		}
	}
	for _, s := range []string{"USAGE\n    toy do [--flags]", "EXAMPLES\n    # a comment\n    toy do --fail usage",
		"OUTCOME\n        --fail RETURN  what to RETURN", "GENERAL\n    -h, --help", "FLAGS\n        --count N  a count N (default 3)"} {
		if !strings.Contains(want, s) {
			t.Errorf("do -h lacks %q:\n%s", s, want)
		}
	}
	// The root's page is ours too, not fang's (which has no groups).
	_, root, _ := execute(t, nil, "-h")
	if _, helped, _ := execute(t, nil, "help"); !strings.Contains(root, "    do          does what --fail says") || !strings.Contains(root, "--version") || helped != root {
		t.Errorf("toy -h:\n%s\ntoy help:\n%s", root, helped)
	}
	if code, out, _ := execute(t, nil, "--version"); code != 0 || !strings.HasPrefix(out, "toy version ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

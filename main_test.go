package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"tweedie/tui"
)

// noScreen replaces the explorer so tests never open one.
func noScreen(t *testing.T) *tui.Options {
	t.Helper()
	var got tui.Options
	old := startExplorer
	startExplorer = func(o tui.Options) error { got = o; return nil }
	t.Cleanup(func() { startExplorer = old })
	return &got
}

func TestBadStartExits2(t *testing.T) {
	noScreen(t)
	bad := filepath.Join(t.TempDir(), "bad.png")
	if err := os.WriteFile(bad, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo") // opening it to read would wait for a writer
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--nope"}, {"--sigma", "-1"}, {"--steps", "0"}, {"--image", bad}, {"--image", "/does/not/exist.png"},
		{"bogus-command"}, {"--op", "blur-gauss:size=x"}, {"stray", "--sigma", "1"},
		{"--method", "pig", "--op", "phase"}, {"--method", "oracle", "--sigma", "0"},
		{"--image", ""}, {"--image-file", ""}, {"--image-file", fifo},
	} {
		var stdout, stderr bytes.Buffer
		if code := realMain(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		msg := stderr.String()
		if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "tweedie: ") {
			t.Errorf("%v: want one line, got %q", args, msg)
		}
	}
}

func TestHelp(t *testing.T) {
	noScreen(t)
	for _, arg := range []string{"-h", "--help"} {
		var stdout, stderr bytes.Buffer
		if code := realMain([]string{arg}, &stdout, &stderr); code != 0 {
			t.Errorf("%s: exit %d", arg, code)
		}
		out := stdout.String()
		for _, want := range []string{"USAGE", "EXAMPLES", "--image", "-sigma"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: usage lacks %q", arg, want)
			}
		}
	}
}

func TestGoodStartOpensExplorer(t *testing.T) {
	got := noScreen(t)
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"--image", "3", "--method", "dps", "--sigma", "0.1"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got.Image != 3 || got.Settings.Sigma != 0.1 || got.Prior == nil {
		t.Errorf("explorer options %+v", got)
	}
}

package main

import (
	"os"
	"testing"
)

// TestCommandHelperProcess runs realMain on the arguments after "--" when
// TWEEDIE_COMMAND_HELPER is 1: a tweedie command in a child process, for
// the tests that signal it.
func TestCommandHelperProcess(t *testing.T) {
	if os.Getenv("TWEEDIE_COMMAND_HELPER") != "1" {
		t.Skip("helper process")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(realMain(args, os.Stdout, os.Stderr))
}

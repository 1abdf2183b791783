// Package offline runs the go command, from a test, in a module nested in
// tweedie's tree: a generator whose dependencies stay out of tweedie's
// go.mod, which `go test ./...` and `go vet ./...` at the root do not
// reach. The module proxy is off, so only what the module cache holds is
// used.
package offline

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Go returns a function that runs the go command with its arguments in
// dir, the nested module, and fails t if it fails. It skips t with -short
// (it builds), and where the go command or the module's dependencies in
// the module cache are missing.
func Go(t testing.TB, dir string) func(args ...string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("builds the module in %s: not with -short", dir)
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(goCmd, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOPROXY=off", "GOWORK=off")
		return cmd.CombinedOutput()
	}
	if out, err := run("mod", "download"); err != nil {
		t.Skipf("the dependencies of the module in %s are not in the module cache (go mod download there): %v\n%s", dir, err, out)
	}
	return func(args ...string) {
		t.Helper()
		if out, err := run(args...); err != nil {
			t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
		}
	}
}

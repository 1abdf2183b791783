// Package goldentest compares test output with golden files in testdata/.
package goldentest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Check compares got with testdata/name, first writing it there when update
// is set (each package's -update flag). Text output is shown in full on a
// mismatch, other output quoted.
func Check(t testing.TB, name string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from its golden file (rerun with -update if intended):\n got: %q\nwant: %q", name, got, want)
	}
}

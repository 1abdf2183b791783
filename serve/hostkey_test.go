package serve

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A new host key's .pub goes neither through a symbolic link nor over an
// existing file: what is there is left as it is, with a warning.
func TestHostKeyPubNotFollowed(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(dir, "hk")
	if err := os.Symlink(victim, linked+".pub"); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "hk2")
	if err := os.WriteFile(existing+".pub", []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, left := range map[string]string{linked: victim, existing: existing + ".pub"} {
		before, _ := os.ReadFile(left)
		logs := &syncBuffer{}
		if _, err := New(Config{Addr: "127.0.0.1:0", HostKeyPath: path, Explorer: testExplorer(), Logger: slog.New(slog.NewTextHandler(logs, nil))}); err != nil {
			t.Fatal(err)
		}
		if after, _ := os.ReadFile(left); !bytes.Equal(after, before) {
			t.Errorf("%s: %s became %q", filepath.Base(path), filepath.Base(left), after)
		}
		if !strings.Contains(logs.String(), "host key's public half not written") {
			t.Errorf("%s: no warning:\n%s", filepath.Base(path), logs)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the private key was not written: %v", filepath.Base(path), err)
		}
	}
	if fi, err := os.Lstat(linked + ".pub"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("hk.pub is no longer the link: %v %v", fi, err)
	}

	// A private key path that is a link to nothing is refused, not created
	// through.
	dangling := filepath.Join(dir, "hk3")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Addr: "127.0.0.1:0", HostKeyPath: dangling, Explorer: testExplorer()}); err == nil ||
		!strings.Contains(err.Error(), "symbolic link to nothing") {
		t.Errorf("a dangling link as the host key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere")); err == nil {
		t.Error("the dangling link's target was created")
	}
}

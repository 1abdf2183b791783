package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A FIFO, a directory and a device are refused at once; a regular file
// and a link to one are read.
func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("content"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, link} {
		if b, fi, err := ReadRegular(p, 100); err != nil || string(b) != "content" || fi.Size() != 7 {
			t.Errorf("%s: %q, %v", p, b, err)
		}
	}
	if _, _, err := ReadRegular(file, 6); err == nil || !strings.Contains(err.Error(), "larger than 6 bytes") {
		t.Errorf("over the bound: %v", err)
	}
	for p, want := range map[string]string{fifo: "a FIFO", dir: "a directory", "/dev/null": "a device"} {
		done := make(chan error, 1)
		go func() { _, _, err := ReadRegular(p, 100); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file ("+want+")") {
				t.Errorf("%s: %v, want it refused as %s", p, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still waiting after 5 s", p)
		}
	}
}

// CreateNew writes neither through a link nor over a file.
func TestCreateNew(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"link": victim, "dangling": filepath.Join(dir, "nothing")} {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if f, err := CreateNew(p, 0o644); !errors.Is(err, fs.ErrExist) {
			if f != nil {
				f.Close()
			}
			t.Errorf("%s: %v, want it refused as existing", name, err)
		}
	}
	if f, err := CreateNew(victim, 0o644); !errors.Is(err, fs.ErrExist) {
		if f != nil {
			f.Close()
		}
		t.Errorf("over a file: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("victim now %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "nothing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dangling link's target was created: %v", err)
	}
	f, err := CreateNew(filepath.Join(dir, "new"), 0o640)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

package serve

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// Every change of the authorized-keys file counts at the next login: a
// replacement of the same size and time, a deletion, a malformed line
// (no one gets in until it is fixed, and why is logged).
func TestServeAuthorizedKeysChanges(t *testing.T) {
	a, b := newKey(t), newKey(t)
	path := authorizedKeys(t, a)
	ts := startServer(t, Config{AuthorizedKeysPath: path})
	gets := func(key gossh.Signer) bool {
		t.Helper()
		c, err := ts.dial(t, gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.PublicKeys(key)}})
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !gets(a) || gets(b) {
		t.Fatal("a should get in, b not")
	}

	// b replaces a: same size, same modification time.
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	withB := strings.Replace(string(mustRead(t, path)), string(gossh.MarshalAuthorizedKey(a.PublicKey())),
		string(gossh.MarshalAuthorizedKey(b.PublicKey())), 1)
	if int64(len(withB)) != fi.Size() {
		t.Fatalf("the replacement is %d bytes, the file %d", len(withB), fi.Size())
	}
	write(withB)
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if gets(a) || !gets(b) {
		t.Error("after a same-size, same-time replacement: a should be out, b in")
	}

	os.Remove(path)
	if gets(b) {
		t.Error("b got in with the file deleted")
	}
	write(withB + "ssh-ed25519 not-base64!\n")
	if gets(b) {
		t.Error("b got in with a malformed line in the file")
	}
	write(withB)
	if !gets(b) {
		t.Error("b not let in once the file was fixed")
	}
	logs := ts.logs.String()
	for _, want := range []string{
		"authorized keys unusable: no one gets in until the file is fixed", "no such file or directory",
		":4: not a public key", `reason="authorized keys unusable"`, "authorized keys usable again",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	// One line per problem, not one per attempt.
	if n := strings.Count(logs, "no such file or directory"); n != 1 {
		t.Errorf("the deleted file logged %d times, want once", n)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An authorized-keys file larger than maxAuthorizedKeys is refused
// before it is read whole.
func TestAuthorizedKeysTooLarge(t *testing.T) {
	path := authorizedKeys(t, newKey(t))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(strings.Repeat("#\n", maxAuthorizedKeys/2)))
	f.Close()
	if _, err := loadKeyring(path, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err %v, want too large", err)
	}
}

// An authorized-keys file that is a FIFO is refused at start at once, and
// while serving it refuses the logins that meet it, at once and logged,
// holding up no other; once the file is back, keys get in again.
func TestAuthorizedKeysFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() {
		_, err := New(Config{Addr: "127.0.0.1:0", HostKeyPath: filepath.Join(dir, "hk"), AuthorizedKeysPath: fifo})
		started <- err
	}()
	select {
	case err := <-started:
		if !errors.Is(err, ErrAuthorizedKeys) || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
			t.Errorf("New with a FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("New still waiting on a FIFO after 5 s")
	}

	key := newKey(t)
	path := authorizedKeys(t, key)
	content := mustRead(t, path)
	ts := startServer(t, Config{AuthorizedKeysPath: path})
	os.Remove(path)
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	logins := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := ts.dial(t, gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.PublicKeys(key)}})
			logins <- err
		}()
	}
	for range 3 {
		select {
		case err := <-logins:
			if err == nil {
				t.Error("a login got in while the file was a FIFO")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a login still waiting after 10 s while the file is a FIFO")
		}
	}
	os.Remove(path)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	ts.connect(t, key)
	logs := ts.logs.String()
	for _, want := range []string{"not a regular file (a FIFO)", `reason="authorized keys unusable"`, "authorized keys usable again"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

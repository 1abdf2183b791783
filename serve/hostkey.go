package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// DefaultHostKeyPath is where the host key lives unless told otherwise:
// host_ed25519 in the user's configuration directory for tweedie
// ($XDG_CONFIG_HOME/tweedie or ~/.config/tweedie on Linux), or
// ./tweedie_host_ed25519 when there is no such directory.
func DefaultHostKeyPath() string {
	dir, err := os.UserConfigDir()
	if err != nil || dir == "" {
		return "tweedie_host_ed25519"
	}
	return filepath.Join(dir, "tweedie", "host_ed25519")
}

// hostKey reads the private host key at path, or generates an ed25519 key
// there (mode 0600, its directory 0700 when created, and the public key
// beside it as path.pub) when there is none. A key that others may read is
// refused, as OpenSSH refuses one. It reports whether the key is new.
func hostKey(path string) (signer gossh.Signer, created bool, err error) {
	for range 2 { // a second try if another process created it meanwhile
		signer, err = readHostKey(path)
		if !errors.Is(err, fs.ErrNotExist) {
			return signer, false, err
		}
		signer, err = createHostKey(path)
		if !errors.Is(err, fs.ErrExist) {
			return signer, err == nil, err
		}
	}
	return nil, false, err
}

func readHostKey(path string) (gossh.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("host key %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("host key %s: mode %04o lets others read it: make it private with chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	s, err := gossh.ParsePrivateKey(b)
	if err != nil {
		var pp *gossh.PassphraseMissingError
		if errors.As(err, &pp) {
			return nil, fmt.Errorf("host key %s: protected by a passphrase; give a key without one", path)
		}
		return nil, fmt.Errorf("host key %s: %w", path, err)
	}
	return s, nil
}

func createHostKey(path string) (gossh.Signer, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("host key: %w", err)
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "tweedie serve host key")
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	// O_EXCL: never overwrite a key, and lose no race with another server.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("host key: %w", err)
	}
	_, err = f.Write(pem.EncodeToMemory(block))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("host key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	// The public half, for known_hosts; the server does not need it.
	pub := gossh.MarshalAuthorizedKey(signer.PublicKey())
	_ = os.WriteFile(path+".pub", pub, 0o644)
	return signer, nil
}

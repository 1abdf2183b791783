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

	"tweedie/internal/safefile"
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

// maxHostKey bounds the host key file, in bytes: an OpenSSH private key
// is a few kilobytes at most.
const maxHostKey = 64 << 10

// hostKeyFile is the host key as hostKey found or made it.
type hostKeyFile struct {
	signer  gossh.Signer
	created bool  // generated now
	pubErr  error // why path.pub was not written with it, if it was not
}

// hostKey reads the private host key at path, or generates an ed25519 key
// there (mode 0600, its directory 0700 when created, and the public key
// beside it as path.pub) when there is none. It never writes through a
// symbolic link nor over an existing file: a path.pub already there, or a
// link, is left as it is (pubErr says so). A key that others may read is
// refused, as OpenSSH refuses one, and so is anything but a regular file.
func hostKey(path string) (hostKeyFile, error) {
	var err error
	for range 2 { // a second try if another process created it meanwhile
		var signer gossh.Signer
		signer, err = readHostKey(path)
		if !errors.Is(err, fs.ErrNotExist) {
			return hostKeyFile{signer: signer}, err
		}
		var hk hostKeyFile
		hk, err = createHostKey(path)
		if !errors.Is(err, fs.ErrExist) {
			return hk, err
		}
	}
	return hostKeyFile{}, fmt.Errorf("host key %s: not there to read, yet there to create (a symbolic link to nothing?): %w", path, err)
}

func readHostKey(path string) (gossh.Signer, error) {
	b, fi, err := safefile.ReadRegular(path, maxHostKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("host key %s: mode %04o lets others read it: make it private with chmod 600 %s", path, perm, path)
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

func createHostKey(path string) (hostKeyFile, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return hostKeyFile{}, fmt.Errorf("host key: %w", err)
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return hostKeyFile{}, fmt.Errorf("host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "tweedie serve host key")
	if err != nil {
		return hostKeyFile{}, fmt.Errorf("host key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return hostKeyFile{}, fmt.Errorf("host key: %w", err)
	}
	// Never over a key, and lose no race with another server.
	if err := writeNew(path, pem.EncodeToMemory(block), 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return hostKeyFile{}, err
		}
		return hostKeyFile{}, fmt.Errorf("host key: %w", err)
	}
	// The public half, for known_hosts; the server does not need it.
	pubErr := writeNew(path+".pub", gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o644)
	return hostKeyFile{signer: signer, created: true, pubErr: pubErr}, nil
}

// writeNew writes b to a new file at path (safefile.CreateNew); a file it
// could not write whole is removed.
func writeNew(path string, b []byte, perm os.FileMode) error {
	f, err := safefile.CreateNew(path, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

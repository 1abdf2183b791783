package serve

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// ErrAuthorizedKeys wraps every problem with the authorized-keys file
// found at start.
var ErrAuthorizedKeys = errors.New("authorized keys")

// keyring is the set of public keys allowed in, read from an OpenSSH
// authorized_keys file. It re-reads the file when it changes (as sshd
// reads authorized_keys at every login); when a changed file cannot be
// read, the keys read last stay in force and the problem is logged.
type keyring struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	mtime time.Time
	size  int64
	keys  map[string]bool // by the key's wire encoding
}

// loadKeyring reads the authorized-keys file at path. A missing or
// unreadable file, a malformed line or a file without a usable key is an
// error wrapping ErrAuthorizedKeys.
func loadKeyring(path string, log *slog.Logger) (*keyring, error) {
	k := &keyring{path: path, log: log}
	if err := k.reload(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuthorizedKeys, err)
	}
	if len(k.keys) == 0 {
		return nil, fmt.Errorf("%w: %s holds no usable public key", ErrAuthorizedKeys, path)
	}
	return k, nil
}

// reload reads the file if it changed since it was last read.
func (k *keyring) reload() error {
	fi, err := os.Stat(k.path)
	if err != nil {
		return err
	}
	if k.keys != nil && fi.ModTime().Equal(k.mtime) && fi.Size() == k.size {
		return nil
	}
	b, err := os.ReadFile(k.path)
	if err != nil {
		return err
	}
	keys, err := parseAuthorizedKeys(k.path, b, k.log)
	if err != nil {
		return err
	}
	k.keys, k.mtime, k.size = keys, fi.ModTime(), fi.Size()
	return nil
}

// parseAuthorizedKeys parses an authorized_keys file. Keys with options
// (from=, command=, …) are skipped with a warning: tweedie honours none of
// them, and ignoring a restriction would let in more than the file says.
func parseAuthorizedKeys(path string, b []byte, log *slog.Logger) (map[string]bool, error) {
	keys := make(map[string]bool)
	for n, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, comment, options, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: not a public key in authorized_keys format: %w", path, n+1, err)
		}
		if len(options) > 0 {
			log.Warn("authorized key skipped: options are not supported", "file", path, "line", n+1,
				"key", gossh.FingerprintSHA256(key), "comment", comment)
			continue
		}
		keys[string(key.Marshal())] = true
	}
	return keys, nil
}

// allowed reports whether key is in the file.
func (k *keyring) allowed(key gossh.PublicKey) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reload(); err != nil {
		k.log.Error("authorized keys: cannot re-read, keeping the keys read before", "file", k.path, "err", err)
	}
	return k.keys[string(key.Marshal())]
}

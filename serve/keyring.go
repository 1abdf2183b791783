package serve

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	gossh "golang.org/x/crypto/ssh"
)

// ErrAuthorizedKeys wraps every problem with the authorized-keys file
// found at start.
var ErrAuthorizedKeys = errors.New("authorized keys")

// maxAuthorizedKeys bounds the authorized-keys file, in bytes: thousands
// of keys.
const maxAuthorizedKeys = 1 << 20

// keyring is the set of public keys allowed in, read from an OpenSSH
// authorized_keys file. Like sshd, it reads the file at every login, so
// any change counts at once (it parses it again only when its content
// changed). While the file is missing, unreadable or malformed, no key
// gets in, and the problem is logged.
type keyring struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	sum     [sha256.Size]byte // of the content keys was parsed from
	keys    map[string]bool   // by the key's wire encoding; nil when unusable
	problem string            // the problem logged last, "" when none
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

// reload reads the file and parses it if its content changed; on any
// problem it forgets the keys.
func (k *keyring) reload() error {
	b, err := readFileMax(k.path, maxAuthorizedKeys)
	if err != nil {
		k.keys = nil
		return err
	}
	sum := sha256.Sum256(b)
	if k.keys != nil && sum == k.sum {
		return nil
	}
	keys, err := parseAuthorizedKeys(k.path, b, k.log)
	if err != nil {
		k.keys = nil
		return err
	}
	k.keys, k.sum = keys, sum
	return nil
}

// readFileMax reads a file of at most max bytes.
func readFileMax(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return b, nil
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

// allowed reports whether key is in the file as it is now. It reports
// an error, and no key, while the file cannot be used; a new problem is
// logged once, as is its end.
func (k *keyring) allowed(key gossh.PublicKey) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reload(); err != nil {
		if err.Error() != k.problem {
			k.problem = err.Error()
			k.log.Error("authorized keys unusable: no one gets in until the file is fixed", "file", k.path, "err", err)
		}
		return false, err
	}
	if k.problem != "" {
		k.problem = ""
		k.log.Info("authorized keys usable again", "file", k.path, "keys", len(k.keys))
	}
	return k.keys[string(key.Marshal())], nil
}

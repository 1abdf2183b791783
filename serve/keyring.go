package serve

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	gossh "golang.org/x/crypto/ssh"

	"tweedie/internal/safefile"
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
// changed). While the file is missing, unreadable, malformed or not a
// regular file (a FIFO, a device: refused without waiting on it), no key
// gets in, and the problem is logged. Its lock is never held while the
// file is read or parsed, so one login waiting on the file holds up no
// other.
type keyring struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	sum     [sha256.Size]byte // of the content keys was parsed from
	keys    map[string]bool   // by the key's wire encoding; nil when unusable
	problem string            // the problem logged last, "" when none
}

// loadKeyring reads the authorized-keys file at path. A missing or
// unreadable file, one that is not a regular file, a malformed line or a
// file without a usable key is an error wrapping ErrAuthorizedKeys.
func loadKeyring(path string, log *slog.Logger) (*keyring, error) {
	k := &keyring{path: path, log: log}
	keys, err := k.read()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuthorizedKeys, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: %s holds no usable public key", ErrAuthorizedKeys, path)
	}
	return k, nil
}

// read reads the file and parses it when its content differs from what
// was parsed last, and keeps the result (nil keys on a problem).
func (k *keyring) read() (map[string]bool, error) {
	b, _, err := safefile.ReadRegular(k.path, maxAuthorizedKeys)
	if err != nil {
		k.keep(nil, [sha256.Size]byte{})
		return nil, err
	}
	sum := sha256.Sum256(b)
	k.mu.Lock()
	keys := k.keys
	same := keys != nil && sum == k.sum
	k.mu.Unlock()
	if same {
		return keys, nil
	}
	keys, err = parseAuthorizedKeys(k.path, b, k.log)
	k.keep(keys, sum)
	return keys, err
}

// keep makes keys, parsed from content of hash sum, the keys to use.
func (k *keyring) keep(keys map[string]bool, sum [sha256.Size]byte) {
	k.mu.Lock()
	k.keys, k.sum = keys, sum
	k.mu.Unlock()
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
	keys, err := k.read()
	problem := ""
	if err != nil {
		problem = err.Error()
	}
	k.mu.Lock()
	changed := problem != k.problem
	k.problem = problem
	k.mu.Unlock()
	switch {
	case changed && err != nil:
		k.log.Error("authorized keys unusable: no one gets in until the file is fixed", "file", k.path, "err", err)
	case changed:
		k.log.Info("authorized keys usable again", "file", k.path, "keys", len(keys))
	}
	if err != nil {
		return false, err
	}
	return keys[string(key.Marshal())], nil
}

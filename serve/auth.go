package serve

import (
	"errors"
	"log/slog"
	"net"
	"strings"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"
)

// ErrNotLoopback: without authorized keys, only a loopback address may be
// served.
var ErrNotLoopback = errors.New("refusing to serve a non-loopback address without --authorized-keys: anyone who can reach it could connect")

// MsgKey is what a session is told when its key is no longer authorised.
const MsgKey = "tweedie: this key is not authorised (any more)"

// authenticator decides who gets in: with keys, the keys of the
// authorized-keys file as it is at each login; without, any public key
// from a loopback address.
type authenticator struct {
	keys *keyring // nil: any key, loopback only
	log  *slog.Logger
}

// publicKey decides whether a public key gets in (ssh.PublicKeyHandler).
func (a *authenticator) publicKey(ctx ssh.Context, key ssh.PublicKey) bool {
	ok, why := a.allowed(ctx.RemoteAddr(), key)
	if !ok {
		a.log.Warn("public key refused", "addr", ctx.RemoteAddr().String(), "user", ctx.User(),
			"key", gossh.FingerprintSHA256(key), "reason", why)
		return false
	}
	// For authLog, once the client proves it holds the key.
	ctx.SetValue(acceptedKey{}, gossh.FingerprintSHA256(key))
	return true
}

// allowed reports whether key from addr gets in, and why not.
func (a *authenticator) allowed(addr net.Addr, key ssh.PublicKey) (ok bool, why string) {
	switch {
	case a.keys != nil:
		ok, err := a.keys.allowed(key)
		switch {
		case err != nil:
			return false, "authorized keys unusable"
		case !ok:
			return false, "not in authorized keys"
		}
		return true, ""
	case loopbackAddr(addr):
		return true, ""
	default:
		return false, "no authorized keys: only loopback clients"
	}
}

// acceptedKey is the context key of the fingerprint of the public key
// publicKey accepted last on a connection.
type acceptedKey struct{}

// authLog logs a successful public-key authentication (once the client
// has proved it holds the key), and attempts with methods that are never
// accepted. Refused public keys are logged, with their fingerprints, by
// publicKey; "none" is every client's first try.
func (a *authenticator) authLog(ctx ssh.Context, conn gossh.ConnMetadata, method string, err error) {
	addr, user := conn.RemoteAddr().String(), conn.User()
	switch {
	case method == "publickey" && err == nil:
		fp, _ := ctx.Value(acceptedKey{}).(string)
		a.log.Info("connection accepted", "addr", addr, "user", user, "key", fp)
	case method == "publickey" || method == "none":
	default:
		a.log.Warn("authentication refused", "addr", addr, "user", user, "method", method, "reason", "public keys only")
	}
}

// checkKey lets a session start only when its connection authenticated
// with a public key that is still allowed: a key taken out of the
// authorized-keys file opens no new session on a connection it opened
// before. A refused session is told MsgKey.
func checkKey(a *authenticator) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			s := sessionOf(sess)
			key := s.PublicKey()
			if key == nil {
				s.refuse("no public key", MsgKey)
				return
			}
			if ok, why := a.allowed(s.RemoteAddr(), key); !ok {
				s.refuse(why, MsgKey)
				return
			}
			next(s)
		}
	}
}

// loopbackHost reports whether a listen address is on loopback only:
// "localhost" or a loopback IP. An empty host (all interfaces) and other
// names are not.
func loopbackHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func loopbackAddr(a net.Addr) bool {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.IsLoopback()
	}
	return a != nil && loopbackHost(a.String())
}

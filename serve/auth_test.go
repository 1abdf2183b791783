package serve

import (
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"

	"charm.land/ssh"
)

// A key taken out of the authorized keys opens no new session on the
// connection it opened before.
func TestCheckKey(t *testing.T) {
	key, other := newKey(t), newKey(t)
	path := authorizedKeys(t, key)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	k, err := loadKeyring(path, log)
	if err != nil {
		t.Fatal(err)
	}
	h := chain(func(sess ssh.Session) { sess.Write([]byte("in\n")) },
		logSessions(log), checkKey(&authenticator{keys: k, log: log}))
	c := bareClient(t, bareServer(t, h), key)

	if r := runBare(t, c, 0, 0, "x"); r.status != 0 || r.stdout != "in\n" {
		t.Fatalf("an authorised key: status %d, output %q", r.status, r.stdout)
	}
	if err := os.WriteFile(path, []byte(strings.TrimSpace(string(mustRead(t, authorizedKeys(t, other))))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBare(t, c, 0, 0, "x")
	if r.status != 1 || r.stdout != "" || !strings.Contains(r.stderr, MsgKey) {
		t.Errorf("a key taken out: status %d, stdout %q, stderr %q; want 1 and %q", r.status, r.stdout, r.stderr, MsgKey)
	}
	if l := logs.String(); !strings.Contains(l, `msg="session refused" session=2`) || !strings.Contains(l, `reason="not in authorized keys"`) {
		t.Errorf("log lacks the refusal:\n%s", l)
	}
}

// Without authorized keys, any key gets a session, only from loopback.
func TestCheckKeyLoopbackOnly(t *testing.T) {
	a := &authenticator{log: slog.New(slog.DiscardHandler)}
	h := chain(func(sess ssh.Session) { sess.Write([]byte("in\n")) }, checkKey(a))
	c := bareClient(t, bareServer(t, h), newKey(t))
	if r := runBare(t, c, 0, 0, "x"); r.status != 0 || r.stdout != "in\n" {
		t.Errorf("loopback: status %d, output %q", r.status, r.stdout)
	}
	if ok, why := a.allowed(&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 22}, newKey(t).PublicKey()); ok || why == "" {
		t.Errorf("a non-loopback client allowed without authorized keys (%v, %q)", ok, why)
	}
}

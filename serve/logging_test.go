package serve

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Each session gets its own number in every log line, and one "session
// end" line with why it ended.
func TestLogSessions(t *testing.T) {
	logs := &syncBuffer{}
	key := newKey(t)
	h := chain(func(sess ssh.Session) {
		s := sessionOf(sess)
		s.log.Info("inside")
		if sess.RawCommand() == "idle" {
			s.end("idle", "")
		}
	}, logSessions(slog.New(slog.NewTextHandler(logs, nil))))
	c := bareClient(t, bareServer(t, h), key)
	runBare(t, c, 0, 0, "quit")
	runBare(t, c, 0, 0, "idle")

	fp := gossh.FingerprintSHA256(key.PublicKey())
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`msg=inside session=1 addr=127\.0\.0\.1:\d+ user=tester key=` + regexp.QuoteMeta(fp) + `$`),
		regexp.MustCompile(`msg="session end" session=1 .* reason=quit duration=\S+$`),
		regexp.MustCompile(`msg=inside session=2 `),
		regexp.MustCompile(`msg="session end" session=2 .* reason=idle duration=`),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d log lines, want %d:\n%s", len(lines), len(want), logs)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %v", i+1, lines[i], re)
		}
	}
}

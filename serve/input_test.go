package serve

import (
	"strings"
	"testing"
)

// The sequences that killed the server (33 parameters and more) end
// neither the session that sends them nor the server: the session reads
// on, and another one too.
func TestServeOverlongSequences(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	a := openTerm(t, ts.connect(t, key), 100, 30)
	b := openTerm(t, ts.connect(t, key), 100, 30)
	a.waitScreen("tweedie │", "step 1/40")
	b.waitScreen("tweedie │", "step 1/40")
	params := strings.TrimSuffix(strings.Repeat("1;", 33), ";")
	for _, final := range []string{"c", "m", "y", "$y", "q"} {
		a.send("\x1b[" + params + final)
	}
	a.send("\x1b[<" + params + "M")
	a.send("\x1b[" + strings.Repeat("7;", 500)) // split across writes
	a.send("7c")
	// ESC in one packet, the rest of a right arrow in the next: one key,
	// step on.
	a.send("\x1b")
	a.send("[C")
	a.waitScreen("step 2/40")
	b.send("\x1b[C")
	b.waitScreen("step 2/40")
	a.send("q")
	if code := a.waitExit(); code != 0 {
		t.Errorf("exit status %d after q, want 0", code)
	}
	b.send("q")
	b.waitExit()
	if logs := ts.logs.String(); strings.Contains(logs, "panic") {
		t.Errorf("log:\n%s", logs)
	}
}

package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"tweedie/core/prior"
	"tweedie/core/worker/workertest"
	"tweedie/tui/vttest"
)

func TestMain(m *testing.M) {
	workertest.Main() // the fake model worker, when this binary is run as one
	os.Exit(m.Run())
}

// workerExplorer is the explorer on a served model: this test binary as
// the Go fake worker of 28×28 images, one process taking one request at a
// time (queue=1), its stderr in logFile.
func workerExplorer(t *testing.T, logFile string) *prior.Prior {
	t.Helper()
	cmd, err := workertest.Command(workertest.OK, workertest.EnvShape+"=28x28x1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := prior.Load(fmt.Sprintf("remote:queue=1,log=%s:%s", logFile, cmd))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// waitDone waits until the explorer's run has finished: its panels are
// drawn and nothing is computing.
func (tm *term) waitDone() {
	tm.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		scr := tm.screen()
		if strings.Contains(scr, "x̂0 Tweedie") && strings.Contains(scr, "NFE") && !strings.Contains(scr, "computing") {
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the run did not finish in %v:\n%s", waitLimit, scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeSharesOneWorker: two sessions run through the operator's one
// worker process, which takes one request at a time (the bounded queue);
// a session that asks for a command of its own (an exec request naming
// another --prior) is refused, and its command never runs.
func TestServeSharesOneWorker(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "worker.log")
	p := workerExplorer(t, logFile)
	key := newKey(t)
	cfg := Config{AuthorizedKeysPath: authorizedKeys(t, key)}
	cfg.Explorer = testExplorer()
	cfg.Explorer.Prior, cfg.Explorer.Images = p, nil
	cfg.Explorer.Settings.Op = "inpaint-box:size=14"
	ts := startServer(t, cfg)

	a := openTerm(t, ts.connect(t, key), 120, 40)
	b := openTerm(t, ts.connect(t, key), 120, 40)
	a.waitDone()
	b.waitDone()
	a.send("e") // a new seed in one session while the other steps
	b.send("\x1b[C")
	b.waitScreen("step 2/40")
	a.send("\x1b[C")
	a.waitScreen("step 2/40")

	// A session's own command.
	marker := filepath.Join(dir, "chosen")
	c := ts.connect(t, key)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	tm := &term{t: t, sess: sess, emu: vt.NewEmulator(120, 40), exited: make(chan error, 1)}
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if tm.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	sess.Stdout, sess.Stderr = termWriter{tm}, termWriter{tm}
	go vttest.DrainReplies(tm.stdin, tm.emu)
	if err := sess.Start(fmt.Sprintf("tweedie --prior remote:'touch %s'", marker)); err != nil {
		t.Fatal(err)
	}
	go func() { tm.exited <- sess.Wait() }()
	tm.waitScreen("runs only the explorer")
	if st := tm.waitExit(); st == 0 {
		t.Errorf("a session with a command of its own: exit status %d", st)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the session's command ran")
	}

	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "starting in mode"); n != 1 {
		t.Errorf("%d worker processes started, want the one shared:\n%s", n, log)
	}
}

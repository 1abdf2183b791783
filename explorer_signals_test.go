//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestExplorerHelperProcess is the explorer for TestExplorerSignals.
func TestExplorerHelperProcess(t *testing.T) {
	if os.Getenv("TWEEDIE_EXPLORER_HELPER") != "1" {
		t.Skip("helper process")
	}
	os.Exit(realMain([]string{"--steps", "10", "--graphics", "halfblock"}, os.Stdout, os.Stderr))
}

// ptyExplorer is the explorer in a child process on a pseudo-terminal, as
// a person runs it: session leader with the terminal as its own.
type ptyExplorer struct {
	cmd   *exec.Cmd
	tty   *os.File // the terminal's side, to read its modes
	mu    sync.Mutex
	out   bytes.Buffer // what the explorer wrote
	ended chan error
}

func startPtyExplorer(t *testing.T) *ptyExplorer {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 100}); err != nil {
		t.Fatal(err)
	}
	e := &ptyExplorer{tty: tty, ended: make(chan error, 1)}
	e.cmd = exec.Command(os.Args[0], "-test.run=^TestExplorerHelperProcess$")
	e.cmd.Env = append(os.Environ(), "TWEEDIE_EXPLORER_HELPER=1", "TERM=xterm-256color")
	e.cmd.Stdin, e.cmd.Stdout, e.cmd.Stderr = tty, tty, tty
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.cmd.Process.Kill() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			e.mu.Lock()
			e.out.Write(buf[:n])
			e.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { e.ended <- e.cmd.Wait() }()
	e.waitFor(t, "alternate screen on and raw", func() bool { return e.altScreen() && e.raw(t) })
	return e
}

// altScreen reports whether the last alternate-screen switch turned it on.
func (e *ptyExplorer) altScreen() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.out.Bytes()
	return bytes.LastIndex(b, []byte("\x1b[?1049h")) > bytes.LastIndex(b, []byte("\x1b[?1049l"))
}

// raw reports whether the terminal is in raw mode (no line editing, echo
// or signal keys).
func (e *ptyExplorer) raw(t *testing.T) bool {
	tio, err := unix.IoctlGetTermios(int(e.tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) == 0
}

// stopped reports whether the process is stopped (state T in /proc).
func (e *ptyExplorer) stopped() bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.cmd.Process.Pid))
	_, after, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(after, "T")
}

func (e *ptyExplorer) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// eventually reports whether ok holds within a few seconds (output
// already written may still be on its way through the pty).
func (e *ptyExplorer) eventually(ok func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

func (e *ptyExplorer) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := e.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// exitCode waits for the explorer to end and returns its exit status.
func (e *ptyExplorer) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case err := <-e.ended:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return e.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatal("the explorer did not end")
	}
	return 0
}

// TestExplorerSignals: SIGINT ends the explorer with status 130 and SIGHUP
// with 129, leaving the alternate screen; SIGTSTP gives the terminal back
// (cooked, main screen) before the process stops, and SIGCONT sets it up
// again.
func TestExplorerSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the explorer in child processes")
	}
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGHUP, 129}} {
		e := startPtyExplorer(t)
		e.signal(t, c.sig)
		if got := e.exitCode(t); got != c.want {
			t.Errorf("%v: exit status %d, want %d", c.sig, got, c.want)
		}
		// The pty's last bytes may still be on their way to the reader.
		if !e.eventually(func() bool { return !e.altScreen() }) {
			t.Errorf("%v: the alternate screen is still on", c.sig)
		}
	}

	e := startPtyExplorer(t)
	for range 2 {
		e.signal(t, syscall.SIGTSTP)
		e.waitFor(t, "the process to stop", e.stopped)
		if !e.eventually(func() bool { return !e.altScreen() && !e.raw(t) }) {
			t.Errorf("stopped with the alternate screen %v, raw mode %v", e.altScreen(), e.raw(t))
		}
		e.signal(t, syscall.SIGCONT)
		e.waitFor(t, "the terminal set up again after SIGCONT", func() bool { return e.altScreen() && e.raw(t) })
	}
	e.signal(t, syscall.SIGINT)
	if got := e.exitCode(t); got != 130 {
		t.Errorf("SIGINT after a suspension: exit status %d, want 130", got)
	}
}

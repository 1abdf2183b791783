//go:build unix

package tui

import (
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	tea "charm.land/bubbletea/v2"
)

// watchSignals handles the signals tea leaves at their defaults, which
// would stop or end the process with the terminal still raw and on the
// alternate screen. SIGTSTP (kill, or a shell) suspends the program as
// tea.Suspend does: the terminal is released, the process group stops, and
// on SIGCONT the terminal is set up again. SIGHUP ends the program through
// its usual exit, which restores the terminal. stop ends the watch and
// returns the signal that ended the program, 0 if none did.
func watchSignals(p *tea.Program) (stop func() syscall.Signal) {
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	var ended atomic.Int32
	signal.Notify(sigs, syscall.SIGTSTP, syscall.SIGHUP)
	go func() {
		suspending := false
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				switch {
				case s == syscall.SIGHUP:
					ended.Store(int32(syscall.SIGHUP))
					p.Send(tea.Interrupt())
				case !suspending:
					suspending = true
					p.Send(tea.Suspend())
				default:
					// tea's own SIGTSTP to the process group, sent once the
					// terminal is released. Once notified, Go no longer stops
					// on SIGTSTP (the runtime keeps its handler), so stop with
					// SIGSTOP; tea waits for the SIGCONT that ends it.
					syscall.Kill(0, syscall.SIGSTOP)
					suspending = false
				}
			}
		}
	}()
	return func() syscall.Signal {
		close(done)
		signal.Stop(sigs)
		return syscall.Signal(ended.Load())
	}
}

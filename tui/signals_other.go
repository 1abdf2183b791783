//go:build !unix

package tui

import (
	"syscall"

	tea "charm.land/bubbletea/v2"
)

// watchSignals does nothing where there is no job control.
func watchSignals(*tea.Program) (stop func() syscall.Signal) {
	return func() syscall.Signal { return 0 }
}

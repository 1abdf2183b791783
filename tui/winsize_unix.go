//go:build unix

package tui

import (
	"os"

	"tweedie/tui/termcaps"
)

// kernelCellSize is the cell size the kernel knows for the process's
// terminal (termcaps.Winsize); zero when unknown.
func kernelCellSize() termcaps.Size {
	for _, f := range []*os.File{os.Stdout, os.Stdin} {
		if _, _, cell, err := termcaps.Winsize(int(f.Fd())); err == nil && cell != (termcaps.Size{}) {
			return cell
		}
	}
	return termcaps.Size{}
}

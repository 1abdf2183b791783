//go:build unix

package tui

import (
	"os"

	"golang.org/x/sys/unix"

	"tweedie/tui/termcaps"
)

// kernelCellSize is the cell size the kernel knows for the process's
// terminal (TIOCGWINSZ's pixel fields, which xterm fills in although it
// answers no CSI 14/16 t by default); zero when unknown.
func kernelCellSize() termcaps.Size {
	for _, f := range []*os.File{os.Stdout, os.Stdin} {
		ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
		if err == nil && ws.Xpixel > 0 && ws.Ypixel > 0 && ws.Col > 0 && ws.Row > 0 {
			return termcaps.Size{W: int(ws.Xpixel) / int(ws.Col), H: int(ws.Ypixel) / int(ws.Row)}
		}
	}
	return termcaps.Size{}
}

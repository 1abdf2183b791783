//go:build unix

package termcaps

import "golang.org/x/sys/unix"

// Winsize is what the kernel knows of the terminal on fd (TIOCGWINSZ):
// its size in cells and, when the terminal filled in the pixel fields (as
// xterm does although it answers no CSI 14/16 t by default), the cell
// size in pixels, else zero.
func Winsize(fd int) (cols, rows int, cell Size, err error) {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, cell, err
	}
	if ws.Xpixel > 0 && ws.Ypixel > 0 && ws.Col > 0 && ws.Row > 0 {
		cell = Size{W: int(ws.Xpixel) / int(ws.Col), H: int(ws.Ypixel) / int(ws.Row)}
	}
	return int(ws.Col), int(ws.Row), cell, nil
}

package cli

import (
	"io"
	"os"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"golang.org/x/term"
)

// maxHelpWidth bounds a help page's width on a wide terminal.
const maxHelpWidth = 100

// defaultWidth is a help page's width off a terminal.
const defaultWidth = 80

// IsTerminal reports whether w is a terminal (an *os.File on a tty).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// TermWidth is the width a help page on w takes: the terminal's, at most
// maxHelpWidth; defaultWidth off a terminal.
func TermWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return min(cols, maxHelpWidth)
		}
	}
	return defaultWidth
}

// ColorWriter writes styled text to w in the colours w's terminal shows
// (none off a terminal, or with NO_COLOR).
func ColorWriter(w io.Writer, environ []string) io.Writer {
	return colorprofile.NewWriter(w, environ)
}

// isDark reports whether the terminal of w has a dark background (asked
// only of a terminal; dark elsewhere).
func isDark(w io.Writer) bool {
	if !IsTerminal(w) || !term.IsTerminal(int(os.Stdin.Fd())) {
		return true
	}
	return lipgloss.HasDarkBackground(os.Stdin, w.(*os.File))
}

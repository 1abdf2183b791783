package tui

import (
	"os"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"tweedie/tui/inputfilter"
)

// localInput is the process's terminal input read through the input
// filter (inputfilter.File): standard input when it is a terminal, else
// /dev/tty, as Bubble Tea itself would pick. Bubble Tea puts it in raw
// mode and restores it by its descriptor. ok is false when there is no
// terminal to read; Bubble Tea then reports that.
func localInput() (in *inputfilter.File, closeTTY func(), ok bool) {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return inputfilter.NewFile(os.Stdin), func() {}, true
	}
	tty, _, err := tea.OpenTTY()
	if err != nil {
		return nil, nil, false
	}
	return inputfilter.NewFile(tty), func() { tty.Close() }, true
}

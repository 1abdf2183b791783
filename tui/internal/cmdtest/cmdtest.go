// Package cmdtest runs Bubble Tea commands in tests.
package cmdtest

import tea "charm.land/bubbletea/v2"

// Messages runs cmd and the commands of its batches, which must not
// block, and returns their messages.
func Messages(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, Messages(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

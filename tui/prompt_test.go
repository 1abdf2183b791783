package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The prompt edits as a line editor does: the cursor moves, backspace
// deletes before it, a paste arrives whole, and keys typed into it are
// text, not the explorer's commands.
func TestPromptEditing(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	drain(m, press(m, ":"))
	if !m.prompting() {
		t.Fatal(": did not open the prompt")
	}
	drain(m, press(m, "s", "t", "e", "p", "space", "1", "3", "0", "q"))
	if m.prompting() != true || m.prompt.Value() != "step 130q" {
		t.Fatalf("typed %q (open %v): q must be text in the prompt", m.prompt.Value(), m.prompting())
	}
	drain(m, send(m, tea.KeyPressMsg{Code: tea.KeyBackspace}))
	drain(m, press(m, "left", "left"))
	drain(m, send(m, tea.KeyPressMsg{Code: tea.KeyBackspace}))
	if got := m.prompt.Value(); got != "step 30" {
		t.Fatalf("after ←← and backspace: %q, want \"step 30\"", got)
	}
	if line := ansi.Strip(m.noticeLine()); !strings.HasPrefix(line, ":step 30") {
		t.Errorf("the notice line does not show what is typed: %q", line)
	}
	drain(m, send(m, tea.KeyPressMsg{Code: tea.KeyEnter}))
	if m.prompting() || m.step != 29 {
		t.Errorf("enter: open %v, step %d, want closed at 29", m.prompting(), m.step)
	}

	drain(m, press(m, ":"))
	drain(m, send(m, tea.PasteMsg{Content: "step 7"}))
	drain(m, send(m, tea.KeyPressMsg{Code: tea.KeyEnter}))
	if m.step != 6 {
		t.Errorf("pasted step 7: step %d", m.step)
	}

	drain(m, press(m, ":", "1"))
	drain(m, send(m, tea.KeyPressMsg{Code: tea.KeyEscape}))
	if m.prompting() || m.step != 6 {
		t.Errorf("esc: open %v, step %d", m.prompting(), m.step)
	}
	drain(m, press(m, ":"))
	if m.prompt.Value() != "" {
		t.Errorf("the prompt reopens with %q", m.prompt.Value())
	}
	drain(m, send(m, tea.PasteMsg{Content: strings.Repeat("9", 500)}))
	if n := len([]rune(m.prompt.Value())); n != maxPromptRunes {
		t.Errorf("a 500-rune paste leaves %d runes, want the limit %d", n, maxPromptRunes)
	}
}

// send is Update's command alone.
func send(m *Model, msg tea.Msg) tea.Cmd {
	_, cmd := m.Update(msg)
	return cmd
}

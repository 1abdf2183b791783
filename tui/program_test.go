package tui

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"
)

// screen feeds a program's output into a terminal emulator.
type screen struct {
	mu  sync.Mutex
	emu *vt.Emulator
}

func newScreen(w, h int) *screen {
	emu := vt.NewEmulator(w, h)
	go io.Copy(io.Discard, emu) // drain the emulator's replies
	return &screen{emu: emu}
}

// maxWait bounds a wait for the program: long, since the explorer's runs
// are many times slower under load (parallel -race test binaries) than
// alone, yet short of the test binary's own deadline (-timeout), so that a
// failure shows the screen rather than a panic's goroutine dump.
func maxWait(t *testing.T) time.Duration {
	const long, margin = 2 * time.Minute, 10 * time.Second
	d := long
	if dl, ok := t.Deadline(); ok {
		d = min(d, time.Until(dl)-margin)
	}
	return max(d, time.Second)
}

// waitFor feeds output until the screen satisfies cond, and fails the
// test with the screen's text if it does not within maxWait. It polls
// the output, which teatest buffers without telling when it grows.
func (s *screen) waitFor(t *testing.T, tm *teatest.TestModel, cond func(*vt.Emulator) bool) {
	t.Helper()
	out := tm.Output()
	buf := make([]byte, 64<<10)
	wait := maxWait(t)
	deadline := time.Now().Add(wait)
	for {
		n, _ := out.Read(buf)
		s.mu.Lock()
		if n > 0 {
			// The output is not a terminal, so the renderer leaves "\n"
			// alone; a terminal's ONLCR would make it "\r\n".
			s.emu.Write(bytes.ReplaceAll(buf[:n], []byte("\n"), []byte("\r\n")))
		}
		ok := cond(s.emu)
		s.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for y := 0; y < s.emu.Height(); y++ {
				b.WriteString(lineOf(s.emu, y) + "\n")
			}
			t.Fatalf("screen not as expected after %v:\n%s", wait, b.String())
		}
		if n == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func lineOf(e *vt.Emulator, y int) string {
	var b strings.Builder
	for x := 0; x < e.Width(); x++ {
		c := e.CellAt(x, y)
		if c == nil || c.Content == "" {
			b.WriteByte(' ')
		} else {
			b.WriteString(c.Content)
		}
	}
	return b.String()
}

func screenHas(e *vt.Emulator, s string) bool {
	for y := 0; y < e.Height(); y++ {
		if strings.Contains(lineOf(e, y), s) {
			return true
		}
	}
	return false
}

func TestProgram(t *testing.T) {
	const w, h = 100, 30
	m := newModel(t)
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.TrueColor), tea.WithFPS(30)))
	scr := newScreen(w, h)

	scr.waitFor(t, tm, func(e *vt.Emulator) bool {
		return strings.Contains(lineOf(e, 0), "tweedie │ ΠG") && screenHas(e, "step 1/40 t ")
	})
	// Images are half-blocks: the x̂0 panel's caption sits over '▀' cells
	// whose colours are set.
	scr.mu.Lock()
	found := false
	for y := 1; y < 3 && !found; y++ {
		for x := 0; x < w; x++ {
			c := scr.emu.CellAt(x, y)
			if c != nil && c.Content == "▀" && c.Style.Fg != nil && c.Style.Bg != nil {
				found = true
				break
			}
		}
	}
	scr.mu.Unlock()
	if !found {
		t.Error("no coloured half-block cell under the captions")
	}

	tm.Send(tea.KeyPressMsg{Code: tea.KeyRight})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyRight})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool { return screenHas(e, "step 3/40 t ") })

	tm.Send(tea.KeyPressMsg{Code: 'm', Text: "m"})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool {
		return strings.Contains(lineOf(e, 0), "tweedie │ DPS") && screenHas(e, "ζ = 0.5")
	})

	tm.Send(tea.KeyPressMsg{Code: 's', Text: "s"})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool {
		return strings.Contains(lineOf(e, 0), "σ = 0.02") && screenHas(e, "step 3/40 t ")
	})

	tm.Send(tea.WindowSizeMsg{Width: 10, Height: 24})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool { return screenHas(e, "too") })

	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(maxWait(t)))
}

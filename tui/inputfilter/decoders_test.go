package inputfilter

import (
	"context"
	"strings"
	"testing"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// decode runs what the filter let through by both decoders behind it, as
// ultraviolet's event scanner does: x/ansi's DecodeSequence with a pooled
// parser over all of it (eventScanner.deserializeWin32Input), and
// ultraviolet's EventDecoder event by event. It returns the events.
func decode(b []byte) []uv.Event {
	p := ansi.GetParser()
	defer ansi.PutParser(p)
	var state byte
	for rest := b; len(rest) > 0; {
		_, _, n, s := ansi.DecodeSequence(rest, state, p)
		state, rest = s, rest[n:]
	}
	var d uv.EventDecoder
	var events []uv.Event
	for len(b) > 0 {
		n, ev := d.Decode(b)
		if n == 0 {
			break
		}
		if ev != nil {
			events = append(events, ev)
		}
		b = b[n:]
	}
	return events
}

// checkBounds checks, independently of the filter's code, what it let
// through: every ESC begins a complete sequence within the bounds.
func checkBounds(t *testing.T, out []byte) {
	t.Helper()
	for i := 0; i < len(out); i++ {
		if out[i] != esc {
			continue
		}
		if i+1 == len(out) {
			t.Fatalf("the output ends in ESC: %q", tail(out))
		}
		j := i + 2
		switch out[i+1] {
		case '[', 'P':
			seps, digits := 0, 0
			for ; j < len(out) && out[j] >= 0x30 && out[j] <= 0x3f; j++ {
				switch c := out[j]; {
				case c == ';' || c == ':':
					seps, digits = seps+1, 0
				case c <= '9':
					digits++
				}
				if seps >= MaxParams || digits > MaxParamDigits {
					t.Fatalf("a sequence with %d separators, %d digits in one parameter: %q", seps, digits, tail(out[i:j+1]))
				}
			}
			for j < len(out) && out[j] >= 0x20 && out[j] <= 0x2f {
				j++
			}
			if j == len(out) || out[j] < 0x40 || out[j] > 0x7e {
				t.Fatalf("a CSI or DCS without its final byte: %q", tail(out[i:min(j+1, len(out))]))
			}
			if out[i+1] == '[' {
				if j+1-i > MaxCSI {
					t.Fatalf("a CSI of %d bytes", j+1-i)
				}
				i = j
				continue
			}
			fallthrough
		case ']', '_', 'X', '^':
			end := -1
			for k := j; k < len(out); k++ {
				if out[k] == st8 || out[k] == bel && out[i+1] == ']' {
					end = k + 1
				} else if out[k] == esc && k+1 < len(out) && out[k+1] == '\\' {
					end = k + 2
				} else if out[k] == esc {
					t.Fatalf("ESC inside a string: %q", tail(out[i:k+1]))
				}
				if end >= 0 {
					break
				}
			}
			if end < 0 {
				t.Fatalf("a string without its terminator: %q", tail(out[i:]))
			}
			if end-i > MaxString {
				t.Fatalf("a string of %d bytes", end-i)
			}
			i = end - 1
		}
	}
}

func tail(b []byte) []byte { return b[max(0, len(b)-80):] }

// issueInputs are what killed `tweedie serve` and the explorer: 33
// parameters with the finals c, m, y, $y and q, and SGR mouse.
var issueInputs = []string{
	"\x1b[" + params(33) + "c",
	"\x1b[" + params(33) + "m",
	"\x1b[" + params(33) + "y",
	"\x1b[?" + params(33) + "$y",
	"\x1b[" + params(33) + "q",
	"\x1b[<" + params(33) + "M",
	"\x1bP" + params(33) + "q\x1b\\",
}

// The inputs of the issue reach neither decoder; what is around them does.
func TestDecodersSeeNoOverlong(t *testing.T) {
	for _, in := range issueInputs {
		out := filterAll("a" + in + "b")
		if out != "ab" {
			t.Errorf("%q passed as %q", short(in), short(out))
		}
		events := decode([]byte(out))
		if len(events) != 2 {
			t.Errorf("%q: events %v, want a and b", short(in), events)
		}
	}
}

// The path that panicked: ultraviolet's terminal reader streaming events
// from the filtered input, with the sequences of the issue split anywhere.
func TestTerminalReaderAfterFilter(t *testing.T) {
	in := "x" + strings.Join(issueInputs, "y") + "z\x1b[A"
	for _, n := range []int{1, 7, 64, 4096} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		events := make(chan uv.Event, 1024)
		r := uv.NewTerminalReader(NewReader(&chunked{strings.NewReader(in), n}), "xterm-256color")
		done := make(chan error, 1)
		go func() { done <- r.StreamEvents(ctx, events) }()
		var keys []string
	read:
		for {
			select {
			case ev := <-events:
				if k, ok := ev.(uv.KeyPressEvent); ok {
					keys = append(keys, k.String())
				}
			case <-done:
				break read
			}
		}
		cancel()
		close(events)
		for ev := range events {
			if k, ok := ev.(uv.KeyPressEvent); ok {
				keys = append(keys, k.String())
			}
		}
		if got := strings.Join(keys, " "); got != "x y y y y y y z up" {
			t.Errorf("reads of %d: keys %q", n, got)
		}
	}
}

// The keys a pause lets out are the keys the decoders read the bytes held
// as on their own.
func TestPauseKeysDecodeAlike(t *testing.T) {
	for _, held := range []string{"\x1b", "\x1b\x1b", "\x1b[", "\x1b]", "\x1bP", "\x1bO", "\x1b_", "\x1b^", "\x1bX", "\x1b[5$", "\x1b[3$"} {
		var d uv.EventDecoder
		_, alone := d.Decode([]byte(held))
		var f Filter
		out := f.Pause(f.Append(nil, []byte(held)))
		events := decode(out)
		if len(events) != 1 {
			t.Errorf("%q passed as %q: events %v", held, out, events)
			continue
		}
		a, ok1 := alone.(uv.KeyPressEvent)
		b, ok2 := events[0].(uv.KeyPressEvent)
		if !ok1 || !ok2 || a.Code != b.Code || a.Mod != b.Mod {
			t.Errorf("%q alone is %#v; passed as %q it is %#v", held, alone, out, events[0])
		}
	}
}

// The decoders themselves read 33 parameters and more without panicking
// since x/ansi v0.11.10 (its parser checks the parameter index): the
// filter is the second line, not the only one.
func TestDecodersSurviveOverlongUnfiltered(t *testing.T) {
	for _, in := range issueInputs {
		decode([]byte(in + "\x1b[" + params(1000) + "c"))
	}
}

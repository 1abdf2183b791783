package inputfilter

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFilter filters arbitrary bytes, split into pieces by cuts (each
// byte a piece's length; an odd one pauses after its piece). It never
// panics, holds at most MaxString bytes and a key, lets through only
// complete sequences within the bounds, which both decoders read without
// panicking, and lets plain text (UTF-8 without ESC) through unchanged.
func FuzzFilter(f *testing.F) {
	for _, in := range issueInputs {
		f.Add([]byte("a"+in+"b"), []byte{3, 8, 250})
	}
	f.Add([]byte("\x1b[200~"+strings.Repeat("p", 100)+"\x1b[201~"), []byte{1, 1, 1})
	f.Add([]byte("\x1b\x1b\x1b[A\x1bO5P\x1b]11;rgb:0/0/0\x07\x1bP>|x\x1b\\é\xff\x9b1c"), []byte{0, 2, 5, 7, 255})
	f.Add([]byte("hello wörld 🙂\r\n"), []byte{})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		var flt Filter
		var out []byte
		rest := data
		for _, c := range cuts {
			n := min(1+int(c)/2, len(rest))
			out = flt.Append(out, rest[:n])
			rest = rest[n:]
			if c%2 == 1 {
				out = flt.Pause(out)
			}
			if flt.Held() > MaxString+2 {
				t.Fatalf("holding %d bytes", flt.Held())
			}
		}
		out = flt.Flush(flt.Append(out, rest))
		if flt.Held() != 0 {
			t.Fatalf("holding %d bytes after Flush", flt.Held())
		}
		checkBounds(t, out)
		decode(out)
		if utf8.Valid(data) && bytes.IndexByte(data, esc) < 0 && !bytes.Equal(out, data) {
			t.Fatalf("plain text %q became %q", data, out)
		}
	})
}

// FuzzWellFormed builds input from well-formed pieces within the bounds
// (text, CSI, SS3, OSC, DCS, APC, Alt and a key) chosen by the fuzzer's
// bytes, and checks that it passes unchanged, whole or a byte at a time.
func FuzzWellFormed(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 31, 200, 17})
	f.Add([]byte{1, 32, 1, 255, 3, 9})
	f.Fuzz(func(t *testing.T, tokens []byte) {
		var in strings.Builder
		for i := 0; i+1 < len(tokens); i += 2 {
			kind, n := tokens[i]%8, int(tokens[i+1])
			switch kind {
			case 0:
				in.WriteString(strings.Repeat(string([]rune("wö🙂\t∑")[:1+n%5]), 1+n%3))
			case 1: // CSI with up to MaxParams parameters
				in.WriteString("\x1b[")
				if n%4 == 0 {
					in.WriteByte('?')
				}
				for p := range 1 + n%MaxParams {
					if p > 0 {
						in.WriteString(";:"[p%2 : p%2+1])
					}
					in.WriteString(strconv.Itoa(n * p % 100000)) // within MaxCSI
				}
				in.WriteString(" $"[:n%3%2])
				in.WriteByte(byte('@' + n%63))
			case 2:
				in.WriteString("\x1bO" + strconv.Itoa(n%9) + string(rune('A'+n%26)))
			case 3:
				in.WriteString("\x1b]" + strconv.Itoa(n) + ";" + strings.Repeat("d", n*7) + "\x07")
			case 4:
				in.WriteString("\x1bP" + strconv.Itoa(n%40) + "+r" + strings.Repeat("5", n) + "\x1b\\")
			case 5:
				in.WriteString("\x1b_G" + strings.Repeat("i", n) + "\x1b\\")
			case 6: // Alt and a letter or digit, or a character
				in.WriteString("\x1b" + string("abcdefghijklmnopqrstuvwxyz0123456789"[n%36]))
				if n%5 == 0 {
					in.WriteString("\x1bé")
				}
			case 7:
				in.WriteString("\x01\x7f\r")
			}
		}
		s := in.String()
		if strings.Contains(s, "[200~") || strings.Contains(s, "[201~") {
			return // a paste's marker: its content is counted, not passed as it is
		}
		if got := filterAll(s); got != s {
			t.Fatalf("%q became %q", s, got)
		}
		if got := filterSplit(s); got != s {
			t.Fatalf("%q, a byte at a time, became %q", s, got)
		}
	})
}

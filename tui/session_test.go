package tui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// A bracketed paste is cut to maxPaste bytes, its end kept; the rest of
// the input passes as it is, however the reads split it.
func TestPasteCapped(t *testing.T) {
	start, end := string(pasteStart[:]), string(pasteEnd[:])
	long := strings.Repeat("p", 3*maxPaste)
	in := "ab\x1b[A" + start + "short" + end + "c" + start + long + start + long + end + "d" + start + "open"
	want := "ab\x1b[A" + start + "short" + end + "c" + start + (long + start + long)[:maxPaste] + end + "d" + start + "open"
	for name, r := range map[string]io.Reader{
		"whole":      strings.NewReader(in),
		"byte-wise":  iotest.OneByteReader(strings.NewReader(in)),
		"half-reads": iotest.HalfReader(strings.NewReader(in)),
	} {
		got, err := io.ReadAll(&pasteCapped{r: r})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("%s: got %d bytes, want %d", name, len(got), len(want))
		}
	}
}

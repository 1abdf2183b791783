package inputfilter

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// filterAll filters in whole, followed by a pause.
func filterAll(in string) string {
	var f Filter
	return string(f.Pause(f.Append(nil, []byte(in))))
}

// filterSplit filters in a byte at a time, followed by a pause.
func filterSplit(in string) string {
	var f Filter
	var out []byte
	for i := range len(in) {
		out = f.Append(out, []byte{in[i]})
	}
	return string(f.Pause(out))
}

// chunked is an input read n bytes at a time, Ready while any is left.
type chunked struct {
	r *strings.Reader
	n int
}

func (c *chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

func (c *chunked) Ready(time.Duration) bool { return c.r.Len() > 0 }

// params is n parameters "1;1;…;1".
func params(n int) string { return strings.TrimSuffix(strings.Repeat("1;", n), ";") }

// What terminals send passes as it came, whole or split anywhere.
func TestPassesWellFormed(t *testing.T) {
	for name, in := range map[string]string{
		"text":                "hello, wörld — ∑ 🙂\r\t\x7f\x01",
		"arrows":              "\x1b[A\x1b[1;5C\x1bOA\x1bOP",
		"alt keys":            "\x1baé\x1b\x1b[A\x1b ",
		"kitty keyboard":      "\x1b[97;5u\x1b[57441;2:3u\x1b[97:65;2;65u",
		"SGR mouse":           "\x1b[<0;120;40M\x1b[<0;120;40m",
		"DA1 reply":           "\x1b[?64;1;2;6;9;15;16;17;18;21;22;28c",
		"32 parameters":       "\x1b[" + params(32) + "c" + "\x1b[<" + params(32) + "M",
		"cell size reply":     "\x1b[6;20;10t\x1b[4;480;800t",
		"DECRPM reply":        "\x1b[?2026;2$y",
		"background reply":    "\x1b]11;rgb:1e1e/1e1e/2e2e\x07\x1b]11;rgb:ffff/ffff/ffff\x1b\\",
		"XTVERSION reply":     "\x1bP>|kitty(0.35.2)\x1b\\",
		"kitty graphics":      "\x1b_Gi=31;OK\x1b\\",
		"bracketed paste":     "\x1b[200~pasted \x1b[A text\x1b[201~",
		"longest sequences":   "\x1b[" + strings.Repeat(" ", MaxCSI-3) + "q" + "\x1b]" + strings.Repeat("x", MaxString-3) + "\x07",
		"string with 8 bits":  "\x1b]2;títle\x1b\\",
		"intermediates":       "\x1b[ q\x1b[2 q",
		"ten-digit parameter": "\x1b[1234567890;1R",
	} {
		if got := filterAll(in); got != in {
			t.Errorf("%s: %q became %q", name, in, got)
		}
		if got := filterSplit(in); got != in {
			t.Errorf("%s split: %q became %q", name, in, got)
		}
	}
}

// Sequences over a bound, malformed ones and bytes that are not UTF-8 are
// dropped whole; what is around them passes.
func TestDrops(t *testing.T) {
	for name, in := range map[string]string{
		"33 parameters c":        "\x1b[" + params(33) + "c",
		"33 parameters m":        "\x1b[" + params(33) + "m",
		"33 parameters y":        "\x1b[" + params(33) + "y",
		"33 parameters $y":       "\x1b[?" + params(33) + "$y",
		"33 parameters q":        "\x1b[" + params(33) + "q",
		"33 parameters SGR":      "\x1b[<" + params(33) + "M",
		"33 empty parameters":    "\x1b[" + strings.Repeat(";", 32) + "c",
		"33 sub-parameters":      "\x1b[" + strings.Repeat("1:", 32) + "1u",
		"1000 parameters":        "\x1b[" + params(1000) + "c",
		"33 DCS parameters":      "\x1bP" + params(33) + "q#0\x1b\\",
		"11 digits":              "\x1b[12345678901;1R",
		"long CSI":               "\x1b[" + strings.Repeat(" ", MaxCSI) + "q",
		"long SS3":               "\x1bO" + strings.Repeat("1", MaxCSI) + "P",
		"long OSC":               "\x1b]" + strings.Repeat("x", MaxString) + "\x07",
		"long DCS":               "\x1bPq" + strings.Repeat("#", MaxString) + "\x1b\\",
		"long APC":               "\x1b_G" + strings.Repeat("A", MaxString) + "\x1b\\",
		"CSI cut by a control":   "\x1b[1;2\x00",
		"CSI cut by ESC":         "\x1b[1;2\x1b[1;3",
		"OSC cut by CAN":         "\x1b]11;rgb:0/0/0\x18",
		"OSC cut by ESC":         "\x1b]11;rgb:0/0/0\x1bq",
		"8-bit CSI":              "\x9b" + params(40) + "c",
		"stray continuation":     "\x80\xbf",
		"overlong UTF-8":         "\xc0\xaf\xe0\x80\xaf",
		"surrogate":              "\xed\xa0\x80",
		"past U+10FFFF":          "\xf4\x90\x80\x80",
		"parameter after inter.": "\x1b[1 2q",
	} {
		in := "a" + in + "b"
		want := "a" + "b"
		switch name {
		case "CSI cut by a control":
			want = "a\x00b"
		case "CSI cut by ESC":
			want = "a\x1b[1;3b" // b ends the second
		case "OSC cut by CAN":
			want = "a\x18b"
		case "OSC cut by ESC":
			want = "a\x1bqb"
		case "parameter after inter.":
			want = "a2qb"
		case "8-bit CSI":
			want = "a" + params(40) + "cb" // 0x9b is not UTF-8
		}
		if got := filterAll(in); got != want {
			t.Errorf("%s: %q became %q, want %q", name, short(in), short(got), want)
		}
		if got := filterSplit(in); got != want {
			t.Errorf("%s split: %q became %q, want %q", name, short(in), short(got), want)
		}
	}
}

func short(s string) string {
	if len(s) > 80 {
		return s[:40] + "…" + s[len(s)-40:]
	}
	return s
}

// What ends the input without its end is held until the input pauses,
// and never more than a bound.
func TestHoldsIncomplete(t *testing.T) {
	var f Filter
	out := f.Append(nil, []byte("x\x1b[1;2"))
	if string(out) != "x" || f.Held() != 5 {
		t.Fatalf("got %q holding %d bytes, want x holding 5", out, f.Held())
	}
	out = f.Append(out[:0], []byte("A"))
	if string(out) != "\x1b[1;2A" {
		t.Errorf("completed: %q", out)
	}
	// A pause drops what is unfinished: the key after it is a key.
	out = f.Append(out[:0], []byte("\x1b[99;"))
	out = f.Append(f.Pause(out), []byte("q"))
	if string(out) != "q" || f.Held() != 0 {
		t.Errorf("unfinished, a pause, then q: %q holding %d bytes", out, f.Held())
	}
	// An OSC that never ends: its first bytes are held, the rest dropped.
	for range 100 {
		f.Append(nil, []byte("\x1b]"+strings.Repeat("y", 1000)))
		if f.Held() > MaxString+1 {
			t.Fatalf("holding %d bytes, more than %d", f.Held(), MaxString+1)
		}
	}
}

// A sequence over a bound is not ended by a pause: its rest, streamed
// slowly, is discarded up to its terminator and never becomes keys.
func TestPauseKeepsDiscardingOverlong(t *testing.T) {
	for _, c := range []struct{ start, fill, end string }{
		{"\x1bPq", "#", "\x1b\\"},
		{"\x1b]52;c;", "QUFB", "\x07"},
		{"\x1b_G", "A", "\x1b\\"},
		{"\x1b[", "1;", "c"},
	} {
		var f Filter
		out := f.Append(nil, []byte(c.start+strings.Repeat(c.fill, MaxString)))
		for range 5 {
			out = f.Append(f.Pause(out), []byte(strings.Repeat(c.fill, 100)))
		}
		out = f.Append(f.Pause(out), []byte(c.end+"q"))
		if string(out) != "q" || f.Held() != 0 {
			t.Errorf("%q…: pauses in its data, then its end and q: %q holding %d bytes", c.start, out, f.Held())
		}
	}
}

// A trailing ESC, or ESC and an introducer, is a key once the input
// pauses, passed as CSI u; until then it is held. Anything else unfinished
// is dropped by the pause.
func TestPauseKeys(t *testing.T) {
	for _, c := range []struct{ in, held, paused string }{
		{"\x1b", "", "\x1b[27u"},
		{"\x1b\x1b", "", "\x1b[27;3u"},
		{"\x1b\x1b\x1b", "\x1b[27u", "\x1b[27u\x1b[27;3u"},
		{"q\x1b", "q", "q\x1b[27u"},
		{"\x1b[", "", "\x1b[91;3u"},
		{"\x1b]", "", "\x1b[93;3u"},
		{"\x1bP", "", "\x1b[112;4u"},
		{"\x1bO", "", "\x1b[111;4u"},
		{"\x1b\x1b[", "", "\x1b[27u\x1b[91;3u"},
		{"\x1b[5$", "", "\x1b[5;2~"},
		{"\x1b[1;2", "", ""},
		{"\x1b]0;ti", "", ""},
		{"é"[:1], "", ""},
		{"\x1bé"[:2], "", "\x1b[27u"},
	} {
		var f Filter
		held := f.Append(nil, []byte(c.in))
		if string(held) != c.held {
			t.Errorf("%q before a pause: %q, want %q", c.in, held, c.held)
		}
		if got := string(f.Pause(held)); got != c.paused {
			t.Errorf("%q, paused: %q, want %q", c.in, got, c.paused)
		}
	}
	// A character split by a pause is completed by what comes, or gives way
	// to it.
	for in, want := range map[string]string{"é": "é", "\xc3q": "q"} {
		var f Filter
		out := f.Pause(f.Append(nil, []byte(in[:1])))
		if got := string(f.Append(out, []byte(in[1:]))); got != want {
			t.Errorf("%q split by a pause: %q, want %q", in, got, want)
		}
	}
	// Held, then completed by what comes.
	var f Filter
	out := f.Append(nil, []byte("\x1b"))
	out = f.Pause(f.Append(out, []byte("[A")))
	if string(out) != "\x1b[A" {
		t.Errorf("ESC, then [A: %q", out)
	}
}

// A Reader waits for what follows an ESC when its input says more is on
// the way, and takes the ESC as a key when not.
func TestReaderEscape(t *testing.T) {
	in := "\x1b[Aa\x1b\x1b[200~x\x1b[201~\x1b"
	for name, r := range map[string]io.Reader{
		"byte-wise, ready":      &chunked{strings.NewReader(in), 1},
		"three bytes, ready":    &chunked{strings.NewReader(in), 3},
		"three bytes, no ready": struct{ io.Reader }{&chunked{strings.NewReader(in), 3}},
	} {
		got, err := io.ReadAll(NewReader(r))
		if err != nil {
			t.Fatal(err)
		}
		want := in[:len(in)-1] + "\x1b[27u"
		if name == "three bytes, no ready" {
			// The second read ends in ESC ESC: Alt and Escape, and the rest
			// of the paste's start is text; the fifth in ESC [ 2, dropped.
			want = "\x1b[Aa\x1b[27;3u[200~x01~\x1b[27u"
		}
		if string(got) != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// A bracketed paste is cut to MaxPaste bytes of content, its end kept; the
// rest of the input passes as it is, however the reads split it.
func TestPasteCut(t *testing.T) {
	start, end := "\x1b[200~", "\x1b[201~"
	long := strings.Repeat("p", 3*MaxPaste)
	in := "ab\x1b[A" + start + "short" + end + "c" + start + long + start + long + end + "d" + start + "open"
	want := "ab\x1b[A" + start + "short" + end + "c" + start + (long + start + long)[:MaxPaste] + end + "d" + start + "open"
	for name, r := range map[string]io.Reader{
		"whole":     strings.NewReader(in),
		"byte-wise": &chunked{strings.NewReader(in), 1},
		"odd reads": &chunked{strings.NewReader(in), 4093},
	} {
		got, err := io.ReadAll(NewReader(r))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("%s: got %d bytes, want %d", name, len(got), len(want))
		}
	}
	// The markers as ultraviolet reads them: leading zeros, parameters after
	// the first, an alt ESC, < = > ? among the digits.
	for _, m := range []string{"\x1b[0200~", "\x1b[200;5~", "\x1b\x1b[200~", "\x1b[2<00~"} {
		var f Filter
		f.Append(nil, []byte(m))
		if !f.paste {
			t.Errorf("%q does not start a paste", m)
		}
	}
	for _, m := range []string{"\x1b[?200~", "\x1b[200$~", "\x1b[;200~", "\x1b[20~"} {
		var f Filter
		f.Append(nil, []byte(m))
		if f.paste {
			t.Errorf("%q starts a paste", m)
		}
	}
}

// A Read never leaves filtered bytes behind for a 4 KiB buffer, whatever
// the filter holds: a caller that waits for the file to be readable would
// not come back for them.
func TestReaderLeavesNothing(t *testing.T) {
	in := "\x1b]" + strings.Repeat("z", MaxString-3) // held, almost the most
	in += "\x07" + strings.Repeat("k", 3*readSize) + "\x1b\x1b["
	r := NewReader(&chunked{strings.NewReader(in), readSize / 3})
	p := make([]byte, readSize)
	total := 0
	for {
		n, err := r.Read(p)
		total += n
		if len(r.pending) != 0 {
			t.Fatalf("a Read of %d left %d bytes pending", n, len(r.pending))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := MaxString + 3*readSize + len("\x1b[27u\x1b[91;3u"); total != want {
		t.Errorf("read %d bytes, want %d", total, want)
	}
}

func ExampleFilter() {
	var f Filter
	in := "q\x1b[" + params(40) + "c\x1b[A"
	fmt.Printf("%q\n", f.Append(nil, []byte(in)))
	// Output: "q\x1b[A"
}

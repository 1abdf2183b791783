// Package inputfilter filters a terminal's input before any decoder sees
// it: it drops control sequences longer than the bounds below, malformed
// ones and bytes that are not UTF-8, and cuts bracketed pastes, so that
// what a client types, pastes or forges cannot crash, stall or swell the
// decoders behind it (ultraviolet's event scanner and x/ansi's
// DecodeSequence, which both the explorer's SSH sessions and its local
// terminal read through).
//
// Bounds (a sequence over any of them is dropped whole):
//
//	CSI (ESC [) and DCS (ESC P)  at most MaxParams parameters, each at most MaxParamDigits digits
//	CSI and SS3 (ESC O)          at most MaxCSI bytes, ESC to final byte
//	OSC, DCS, APC, SOS, PM       at most MaxString bytes, ESC to terminator
//	bracketed paste              at most MaxPaste bytes of content; the rest is dropped, its end kept
//
// What passes is text (UTF-8, C0 controls, DEL) and complete control
// sequences within the bounds, each as it came; what the filter holds is a
// sequence (or a UTF-8 character) not yet complete, at most MaxString bytes.
// The filter never lets out an ESC without the rest of its sequence, so a
// decoder cannot join what the filter let pass into a sequence the filter
// did not see whole.
//
// Grammar (ECMA-48, as the decoders read it): a CSI is ESC [, parameter
// bytes 0x30–0x3F, intermediate bytes 0x20–0x2F and a final byte 0x40–0x7E;
// a DCS is the same after ESC P, then data up to its terminator; OSC (ESC
// ]), APC (ESC _), SOS (ESC X) and PM (ESC ^) are data up to their
// terminator: ST (ESC \ or 0x9C), or BEL for OSC. Any other byte in a CSI's
// place, or ESC, CAN or SUB inside a string, makes the sequence malformed:
// it is dropped and the byte read afresh. An SS3 is ESC O, digits and one
// byte 0x21–0x7E. ESC before any other byte is Alt and that byte, passed
// together. Bytes 0x80–0xFF that are not part of a valid UTF-8 character,
// 8-bit C1 controls among them, are dropped.
//
// When the input pauses (Pause: Reader waits EscTimeout for more) after a
// lone ESC, that ESC is the Escape key, and ESC and an introducer alone
// are Alt and that key. They pass as the kitty keyboard protocol's CSI u
// forms (ESC [ 27 u, ESC [ 91 ; 3 u), complete sequences that the decoders
// read as the same keys and never join with what follows. URxvt's shifted
// keys (CSI n $) before a pause likewise pass as CSI n ; 2 ~. Any other
// sequence a pause leaves unfinished is dropped, as the decoders give up
// on one after their own wait: a key that comes after it is a key of its
// own. A sequence already over a bound is not ended by a pause: the rest
// of it, up to its final byte or terminator, is discarded as it arrives,
// so that a long sequence streamed slowly never turns into keys. A UTF-8
// character split by a pause is kept.
package inputfilter

import (
	"strconv"

	"github.com/charmbracelet/x/ansi/parser"
)

// Bounds on what passes; see the package doc.
const (
	// MaxParams is the parameter capacity of the decoders' parsers
	// (parser.MaxParamsSize): x/ansi v0.11.9 indexes past it on a 33rd.
	MaxParams = parser.MaxParamsSize
	// MaxParamDigits bounds one parameter's digits: no value a terminal
	// sends needs more, and the decoders' sums cannot wrap.
	MaxParamDigits = 10
	// MaxCSI bounds a CSI or SS3, in bytes.
	MaxCSI = 256
	// MaxString bounds an OSC, DCS, APC, SOS or PM, in bytes. Held with a
	// few bytes of keys, it leaves room in a 4 KiB read (Reader).
	MaxString = 2048
	// MaxPaste bounds a bracketed paste's content, in bytes: the explorer
	// takes no pastes, and decoders hold a paste whole until its end.
	MaxPaste = 64 << 10
)

const (
	esc = 0x1b
	bel = 0x07
	can = 0x18
	sub = 0x1a
	st8 = 0x9c // 8-bit ST
)

// state is where the filter is in a sequence.
type state uint8

const (
	ground  state = iota // text
	escape               // after ESC
	csi                  // CSI, or a DCS before its data
	ss3                  // after ESC O
	text                 // a string's data: OSC, DCS, APC, SOS, PM
	textEsc              // ESC in a string's data
	char                 // inside a multi-byte UTF-8 character
)

// Filter is the filter's state between pieces of input. The zero value is
// ready; it holds at most MaxString+1 bytes.
type Filter struct {
	st     state
	seq    []byte // held: the sequence (or character) so far
	alt    bool   // seq starts with an ESC before the sequence proper
	intro  byte   // the sequence's introducer: '[', 'P', ']', '_', 'X', '^', 'O'
	over   bool   // over a bound: dropped once it ends
	seps   int    // parameter separators, ; or : (CSI, DCS)
	digits int    // digits of the current parameter
	inter  bool   // intermediate bytes seen (CSI, DCS)
	need   int    // UTF-8 continuation bytes still to come
	lo, hi byte   // the range of the next one

	paste  bool // inside a bracketed paste
	pasted int  // its content so far, in bytes

	dropped int
	one     [1]byte // a byte passing on its own
}

// Held is the number of bytes the filter holds.
func (f *Filter) Held() int { return len(f.seq) }

// Dropped is the number of sequences and bytes dropped so far.
func (f *Filter) Dropped() int { return f.dropped }

// Append filters src, appends what passes to dst and returns it. What
// src ends in that is not complete is held for what follows.
func (f *Filter) Append(dst, src []byte) []byte {
	for _, c := range src {
		dst = f.step(dst, c)
	}
	return dst
}

// Pause says that no input follows for now: a key held (KeyHeld) passes
// as that key, and any other sequence held is dropped unless it is over a
// bound already (its rest is discarded as it comes). A UTF-8 character
// not yet complete is kept (an ESC before it passes as the Escape key):
// what comes next completes it or, if not a continuation byte, drops it
// and is read afresh, so it never takes a key in.
func (f *Filter) Pause(dst []byte) []byte {
	switch k := f.heldKey(); {
	case k != nil:
		dst = f.emit(dst, k)
		f.reset()
	case f.st == char && f.alt:
		dst = f.emit(dst, key(nil, esc, 0))
		f.seq = append(f.seq[:0], f.seq[1:]...)
		f.alt = false
	case f.st == char:
	case f.over:
		// Over a bound already: what follows, up to its end, is still
		// its data (a slow stream), discarded, never keys.
	case len(f.seq) > 0:
		f.drop()
	}
	return dst
}

// KeyHeld reports whether what the filter holds is a key when no input
// follows: ESC, ESC ESC, ESC and an introducer, or URxvt's CSI n $.
func (f *Filter) KeyHeld() bool { return f.heldKey() != nil }

// Flush ends the input: a key held passes as in Pause, and anything else
// held is dropped.
func (f *Filter) Flush(dst []byte) []byte {
	dst = f.Pause(dst)
	if len(f.seq) > 0 {
		f.drop()
	}
	return dst
}

// step filters one byte.
func (f *Filter) step(dst []byte, c byte) []byte {
	for {
		again := false
		switch f.st {
		case ground:
			dst = f.ground(dst, c)
		case escape:
			dst, again = f.escape(dst, c)
		case csi:
			dst, again = f.csi(dst, c)
		case ss3:
			dst, again = f.ss3(dst, c)
		case text:
			dst, again = f.text(dst, c)
		case textEsc:
			dst, again = f.textEsc(dst, c)
		case char:
			dst, again = f.char(dst, c)
		}
		if !again {
			return dst
		}
	}
}

func (f *Filter) ground(dst []byte, c byte) []byte {
	switch {
	case c == esc:
		f.seq = append(f.seq[:0], esc)
		f.st = escape
	case c < 0x80:
		f.one[0] = c
		dst = f.emit(dst, f.one[:])
	case f.lead(c):
		f.seq = append(f.seq[:0], c)
	default:
		f.dropped++ // no UTF-8 character starts with c
	}
	return dst
}

// lead starts a UTF-8 character at c, its first byte, and reports whether
// c can be one: the continuation bytes' ranges are those of utf8.ValidRune
// (no overlong forms, surrogates or values past U+10FFFF).
func (f *Filter) lead(c byte) bool {
	f.lo, f.hi = 0x80, 0xbf
	switch {
	case c >= 0xc2 && c <= 0xdf:
		f.need = 1
	case c == 0xe0:
		f.need, f.lo = 2, 0xa0
	case c == 0xed:
		f.need, f.hi = 2, 0x9f
	case c >= 0xe1 && c <= 0xef:
		f.need = 2
	case c == 0xf0:
		f.need, f.lo = 3, 0x90
	case c == 0xf4:
		f.need, f.hi = 3, 0x8f
	case c >= 0xf1 && c <= 0xf3:
		f.need = 3
	default:
		return false
	}
	f.st = char
	return true
}

func (f *Filter) char(dst []byte, c byte) ([]byte, bool) {
	if c < f.lo || c > f.hi {
		// Not a character: drop what it had, keep an ESC before it,
		// and read c afresh.
		f.dropped++
		f.seq = f.seq[:f.prefix()]
		f.st = ground
		if f.alt {
			f.alt, f.st = false, escape
		}
		return dst, true
	}
	f.seq = append(f.seq, c)
	f.lo, f.hi = 0x80, 0xbf
	if f.need--; f.need == 0 {
		dst = f.finish(dst)
	}
	return dst, false
}

// prefix is the length of the alt ESC before the sequence proper.
func (f *Filter) prefix() int {
	if f.alt {
		return 1
	}
	return 0
}

func (f *Filter) escape(dst []byte, c byte) ([]byte, bool) {
	switch c {
	case '[', 'P':
		f.begin(c, csi)
	case ']', '_', 'X', '^':
		f.begin(c, text)
	case 'O':
		f.begin(c, ss3)
	case esc:
		if f.alt { // ESC ESC ESC: the first is a key of its own
			dst = f.emit(dst, key(nil, esc, 0))
		}
		f.seq = append(f.seq[:0], esc, esc)
		f.alt = true
	default:
		switch {
		case c < 0x80: // Alt and c
			f.seq = append(f.seq, c)
			dst = f.finish(dst)
		case f.lead(c): // Alt and a character
			if f.alt { // ESC ESC c: the first is a key of its own
				dst = f.emit(dst, key(nil, esc, 0))
			}
			f.seq = append(f.seq[:0], esc, c)
			f.alt = true
		default:
			f.dropped++ // not UTF-8: as if it had not come
		}
	}
	return dst, false
}

// begin starts a sequence with introducer c in state s.
func (f *Filter) begin(c byte, s state) {
	f.seq = append(f.seq, c)
	f.intro, f.st = c, s
	f.seps, f.digits, f.inter, f.over = 0, 0, false, false
}

func (f *Filter) csi(dst []byte, c byte) ([]byte, bool) {
	switch {
	case c >= 0x30 && c <= 0x3f && !f.inter: // parameter byte
		switch {
		case c == ';' || c == ':':
			f.seps++
			f.digits = 0
		case c <= '9':
			f.digits++
		}
		// seps+1 parameters (the decoders index the 33rd of 32 slots).
		if f.seps >= MaxParams || f.digits > MaxParamDigits {
			f.over = true
		}
		f.put(c, MaxCSI)
	case c >= 0x20 && c <= 0x2f: // intermediate byte
		f.inter = true
		f.put(c, MaxCSI)
	case c >= 0x40 && c <= 0x7e: // final byte
		f.put(c, MaxCSI)
		if f.intro == 'P' {
			f.st = text // the DCS's data
			return dst, false
		}
		return f.finish(dst), false
	default: // malformed: read c afresh
		f.drop()
		return dst, true
	}
	return dst, false
}

func (f *Filter) ss3(dst []byte, c byte) ([]byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		f.put(c, MaxCSI)
	case c >= 0x21 && c <= 0x7e:
		f.put(c, MaxCSI)
		return f.finish(dst), false
	default:
		f.drop()
		return dst, true
	}
	return dst, false
}

func (f *Filter) text(dst []byte, c byte) ([]byte, bool) {
	switch {
	case c == bel && f.intro == ']', c == st8:
		f.put(c, MaxString)
		return f.finish(dst), false
	case c == esc:
		f.put(c, MaxString)
		f.st = textEsc
	case c == can || c == sub: // cancelled: c is read afresh
		f.drop()
		return dst, true
	default:
		f.put(c, MaxString)
	}
	return dst, false
}

func (f *Filter) textEsc(dst []byte, c byte) ([]byte, bool) {
	if c == '\\' {
		f.put(c, MaxString)
		return f.finish(dst), false
	}
	// Cancelled by the ESC, which begins what comes next.
	f.drop()
	f.seq = append(f.seq, esc)
	f.st = escape
	return dst, true
}

// put holds c unless the sequence is over a bound, which it is once it
// would hold more than max bytes (besides an alt ESC).
func (f *Filter) put(c byte, max int) {
	if f.over {
		return
	}
	if len(f.seq)-f.prefix() >= max {
		f.over = true
		return
	}
	f.seq = append(f.seq, c)
}

// finish ends the sequence held: it passes unless it is over a bound.
func (f *Filter) finish(dst []byte) []byte {
	if f.over {
		f.drop()
		return dst
	}
	dst = f.emit(dst, f.seq)
	f.reset()
	return dst
}

// drop forgets the sequence held.
func (f *Filter) drop() {
	f.dropped++
	f.reset()
}

func (f *Filter) reset() {
	f.seq = f.seq[:0]
	f.st, f.alt, f.over = ground, false, false
}

// heldKey is the key what is held is when no input follows, as it
// passes (see the package doc), or nil.
func (f *Filter) heldKey() []byte {
	body := f.seq[f.prefix():]
	var k []byte
	if f.alt { // the alt ESC before is a key of its own
		k = key(k, esc, 0)
	}
	switch {
	case f.st == escape && f.alt: // ESC ESC
		return key(nil, esc, altMod)
	case f.st == escape:
		return key(nil, esc, 0)
	case f.st == csi || f.st == text || f.st == ss3:
		if len(body) == 2 {
			return altKey(k, f.intro)
		}
		if f.st == csi && f.intro == '[' && !f.alt && !f.over && urxvtShifted(body) {
			return append(append(k, body[:len(body)-1]...), ";2~"...)
		}
	}
	return nil
}

// urxvtShifted reports whether seq is ESC [ digits $, URxvt's shifted
// Insert, Delete, Home, End, PgUp and PgDn.
func urxvtShifted(seq []byte) bool {
	n := len(seq)
	if n < 4 || seq[n-1] != '$' {
		return false
	}
	for _, c := range seq[2 : n-1] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Modifiers of the kitty keyboard protocol: 1 + the sum of shift 1, alt 2.
const (
	altMod      = 3
	shiftAltMod = 4
)

// altKey appends Alt and c as the decoders read ESC c alone: Alt and
// Shift and the lower-case letter for the letters (ESC O, P, X), Alt and c
// for the rest.
func altKey(dst []byte, c byte) []byte {
	if c >= 'A' && c <= 'Z' {
		return key(dst, rune(c-'A'+'a'), shiftAltMod)
	}
	return key(dst, rune(c), altMod)
}

// key appends the kitty keyboard protocol's form of the key code with the
// modifiers mod (0: none): CSI code u, or CSI code ; mod u.
func key(dst []byte, code rune, mod int) []byte {
	dst = append(append(dst, esc, '['), strconv.Itoa(int(code))...)
	if mod != 0 {
		dst = append(append(dst, ';'), strconv.Itoa(mod)...)
	}
	return append(dst, 'u')
}

// emit appends what passes, counting and cutting a bracketed paste's
// content: while a paste is open, what would take it past MaxPaste bytes
// is dropped, and its end always passes.
func (f *Filter) emit(dst, b []byte) []byte {
	switch m := pasteMarker(b); {
	case m == pasteEnd && f.paste:
		f.paste = false
	case f.paste:
		if f.pasted+len(b) > MaxPaste {
			f.pasted = MaxPaste + 1
			f.dropped++
			return dst
		}
		f.pasted += len(b)
	case m == pasteStart:
		f.paste, f.pasted = true, 0
	}
	return append(dst, b...)
}

const (
	pasteStart = 200
	pasteEnd   = 201
)

// pasteMarker is 200 or 201 when b is a bracketed paste's start or end as
// ultraviolet decodes them (CSI 200 ~, CSI 201 ~, maybe after an alt ESC:
// final ~, no private prefix or intermediates, and the first parameter's
// value, from its digits with the bytes < = > ? among them skipped), and 0
// otherwise.
func pasteMarker(b []byte) int {
	if len(b) > 1 && b[0] == esc && b[1] == esc {
		b = b[1:]
	}
	if len(b) < 4 || b[0] != esc || b[1] != '[' || b[len(b)-1] != '~' {
		return 0
	}
	body := b[2 : len(b)-1]
	if body[0] >= '<' && body[0] <= '?' {
		return 0 // a private prefix
	}
	v := 0
	for _, c := range body {
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int(c-'0') // at most MaxParamDigits digits: no overflow
		case c == ';' || c == ':':
			return v
		case c < 0x30:
			return 0 // an intermediate byte
		}
	}
	return v
}

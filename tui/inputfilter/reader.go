package inputfilter

import (
	"io"
	"os"
	"time"
)

// EscTimeout is how long a Reader waits, once what it read ends in a
// sequence not yet complete (a lone ESC, say), for the rest before it
// pauses the filter (Filter.Pause: the ESC is the Escape key, another
// sequence is dropped): twice ultraviolet's wait for the same, for a
// sequence split on its way over a network (vim waits 100 ms too).
const EscTimeout = 100 * time.Millisecond

// readSize is the most a Reader reads at once: what ultraviolet's reader
// asks for.
const readSize = 4096

// keyRoom is the most a key held adds to what is held when it passes
// (Filter.Pause).
const keyRoom = 24

// Ready is an input that can say whether more of it comes within d,
// without reading it. Without it, a Reader pauses the filter as soon as a
// read ends in a sequence not yet complete.
type Ready interface {
	Ready(d time.Duration) bool
}

// Reader reads r through a Filter. Each Read returns what one or more
// reads of r let through: it reads r again only while what it read ends
// in a sequence not yet complete and r says more is Ready within
// EscTimeout. It reads at
// most as much as p can take with what the filter holds let out, so that
// what a Read lets out fits in p when p has room for MaxString+keyRoom
// bytes more than it asks of r (a 4 KiB buffer does): a caller that waits
// for its file to be readable before each Read (Bubble Tea's cancelable
// reader) then never leaves filtered input behind unread. A Read may
// return no bytes and no error when everything read is held or dropped.
type Reader struct {
	r       io.Reader
	f       Filter
	buf     [readSize]byte
	out     []byte
	pending []byte // out, not yet read
	err     error  // r's, once pending is read
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

func (r *Reader) Read(p []byte) (int, error) {
	if len(r.pending) == 0 && r.err == nil {
		r.fill(len(p))
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	if n == 0 && r.err != nil {
		return 0, r.err
	}
	return n, nil
}

// fill reads r and filters what it read into pending, room bytes at most
// when it can.
func (r *Reader) fill(room int) {
	r.out = r.out[:0]
	for {
		n := min(max(room-len(r.out)-r.f.Held()-keyRoom, 1), len(r.buf))
		m, err := r.r.Read(r.buf[:n])
		r.out = r.f.Append(r.out, r.buf[:m])
		if err != nil {
			r.out, r.err = r.f.Flush(r.out), err
			break
		}
		if m == n || r.f.Held() == 0 {
			break // more is waiting (the read filled the buffer), or nothing to decide
		}
		if m > 0 && r.ready() {
			if room-len(r.out)-r.f.Held()-keyRoom >= 1 {
				continue // the rest is on its way: read it now
			}
			break // no room: the next Read reads it, ready
		}
		r.out = r.f.Pause(r.out)
		break
	}
	r.pending = r.out
}

// ready reports whether r has more within EscTimeout.
func (r *Reader) ready() bool {
	rd, ok := r.r.(Ready)
	return ok && rd.Ready(EscTimeout)
}

// Dropped is the number of sequences and bytes dropped so far.
func (r *Reader) Dropped() int { return r.f.Dropped() }

// File is a terminal's input file (os.Stdin, /dev/tty) read through a
// Reader. It is a file to Bubble Tea (x/term.File and cancelreader.File):
// given as the program's input (tea.WithInput), the terminal is put into
// raw mode and restored by its descriptor as for the file itself, and
// each Read follows a wait for the descriptor to be readable. Writes and
// Close go to the file.
//
// On Windows, Bubble Tea reads the console's input records itself when
// the descriptor is the console's, and the filter is bypassed.
type File struct {
	*Reader
	f *os.File
}

// NewFile returns a File reading f.
func NewFile(f *os.File) *File { return &File{Reader: NewReader(fileReady{f}), f: f} }

func (f *File) Fd() uintptr                 { return f.f.Fd() }
func (f *File) Name() string                { return f.f.Name() }
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }
func (f *File) Close() error                { return f.f.Close() }

// fileReady is a file that says whether it is readable (Ready).
type fileReady struct{ *os.File }

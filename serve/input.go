package serve

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// input is a session's input: the client's bytes, read by a goroutine and
// handed to the explorer a read at a time, with the time of the last.
// Closing it ends the explorer's reads at once, even when the client never
// ends its side; the goroutine then ends with the channel. It tells its
// reader whether more is coming (Ready), so the input filter can wait for
// the rest of a sequence after a lone ESC.
type input struct {
	reads  chan []byte   // what the client sent, a read at a time
	cur    []byte        // the read being passed on
	err    error         // the client's input ended: io.EOF or the channel's error
	ended  chan struct{} // closed once err is set
	closed chan struct{} // closed by Close
	close  sync.Once
	last   atomic.Int64  // unix nanoseconds of the last input
	eof    chan struct{} // closed when the client's input ends
}

// newInput starts reading the client's input of s.
func newInput(s *session) *input {
	in := &input{reads: make(chan []byte), ended: make(chan struct{}), closed: make(chan struct{}), eof: make(chan struct{})}
	in.touch()
	go func() {
		defer close(in.eof)
		defer s.recovered("input")
		for {
			buf := make([]byte, 4096)
			n, err := s.Session.Read(buf)
			if n > 0 {
				in.touch()
				select {
				case in.reads <- buf[:n]:
				case <-in.closed:
					return // the session ended
				}
			}
			if err != nil {
				in.err = err
				close(in.ended)
				return
			}
		}
	}()
	return in
}

// Read passes on what the client sent; after Close it fails with
// io.ErrClosedPipe, once the client's input ended with its error.
func (in *input) Read(p []byte) (int, error) {
	if len(in.cur) == 0 {
		select {
		case in.cur = <-in.reads:
		case <-in.ended:
			return 0, in.err
		case <-in.closed:
			return 0, io.ErrClosedPipe
		}
	}
	n := copy(p, in.cur)
	in.cur = in.cur[n:]
	return n, nil
}

// Ready reports whether a Read would return at once, or will within d
// (inputfilter.Ready). Like Read, it is for one reader.
func (in *input) Ready(d time.Duration) bool {
	if len(in.cur) > 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case in.cur = <-in.reads:
		return true
	case <-in.ended:
		return true
	case <-in.closed:
		return true
	case <-t.C:
		return false
	}
}

// Close ends the explorer's reads, pending ones too.
func (in *input) Close() error {
	in.close.Do(func() { close(in.closed) })
	return nil
}

func (in *input) touch() { in.last.Store(time.Now().UnixNano()) }

func (in *input) since() time.Duration {
	return time.Since(time.Unix(0, in.last.Load()))
}

package serve

import (
	"io"
	"sync/atomic"
	"time"
)

// input is a session's input: the client's bytes, copied into a pipe the
// explorer reads, with the time of the last. Closing it ends the
// explorer's reads at once, even when the client never ends its side; the
// copy then ends with the channel.
type input struct {
	pr   *io.PipeReader
	last atomic.Int64  // unix nanoseconds of the last input
	eof  chan struct{} // closed when the client's input ends
}

// newInput starts copying the client's input of s.
func newInput(s *session) *input {
	pr, pw := io.Pipe()
	in := &input{pr: pr, eof: make(chan struct{})}
	in.touch()
	go func() {
		defer close(in.eof)
		defer s.recovered("input")
		buf := make([]byte, 4096)
		for {
			n, err := s.Session.Read(buf)
			if n > 0 {
				in.touch()
				if _, werr := pw.Write(buf[:n]); werr != nil {
					return // closed: the session ended
				}
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return in
}

func (in *input) Read(p []byte) (int, error) { return in.pr.Read(p) }

// Close ends the explorer's reads, pending ones too.
func (in *input) Close() error { return in.pr.Close() }

func (in *input) touch() { in.last.Store(time.Now().UnixNano()) }

func (in *input) since() time.Duration {
	return time.Since(time.Unix(0, in.last.Load()))
}

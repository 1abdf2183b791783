// Package vttest helps tests that drive a program through an x/vt terminal
// emulator.
package vttest

import "io"

// DrainReplies copies the emulator's replies (answers to the program's
// terminal queries) to w until reading r fails, ignoring write errors. Keep
// it running for the emulator's whole life: an unread reply blocks the
// emulator's Write, and a test that reads the screen under the same lock
// then deadlocks.
func DrainReplies(w io.Writer, r io.Reader) {
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

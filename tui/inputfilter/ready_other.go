//go:build !unix

package inputfilter

import "time"

// Ready cannot tell: a key held passes as soon as a read ends in it.
func (f fileReady) Ready(time.Duration) bool { return false }

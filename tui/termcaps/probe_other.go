//go:build !linux

package termcaps

import "errors"

// Probe is not available here: it returns an error.
func Probe(env Env) (caps Caps, cols int, cell Size, err error) {
	return Caps{Env: env}, 0, Size{}, errors.New("terminal probing needs Linux")
}

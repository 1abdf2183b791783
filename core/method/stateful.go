package method

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Stateful is implemented by a Guide that carries state from one step to
// the next beyond the run's x_t and noise: an optimiser's moments
// (RED-diff), a population of particles (MCGdiff, TDS). The runner saves
// that state with each keyframe of a long run and restores it into a
// fresh guide to resume the run there (run.Replay), so that a step
// recomputed from a keyframe is the step the run made, bit for bit.
//
// A guide that keeps such state without implementing Stateful cannot be
// resumed: its replays differ from the run. The conformance tests of
// core/run replay every registered method from a keyframe and find it.
type Stateful interface {
	// StateBytes bounds the length of the state, fixed when the guide is
	// bound: the keyframes' memory bound counts it before any is kept.
	StateBytes() int
	// AppendState appends the state at the start of the next step to dst.
	AppendState(dst []byte) []byte
	// RestoreState sets the state from what AppendState gave, in a guide
	// bound to the same problem with the same values, before its first
	// step. It refuses bytes of another length.
	RestoreState(src []byte) error
}

// appendFloats appends the bits of xs to dst.
func appendFloats(dst []byte, xs ...[]float64) []byte {
	for _, x := range xs {
		for _, v := range x {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
		}
	}
	return dst
}

// appendBool appends b as one byte.
func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// appendCount appends a count as 8 bytes.
func appendCount(dst []byte, n int) []byte { return binary.LittleEndian.AppendUint64(dst, uint64(n)) }

// stateReader reads what appendFloats and appendBool wrote, in order; the
// first short read is kept in err.
type stateReader struct {
	src []byte
	err error
}

var errStateLength = errors.New("method: state of the wrong length (another problem or values?)")

// take returns the next n bytes.
func (r *stateReader) take(n int) []byte {
	if r.err != nil || len(r.src) < n {
		r.err = errStateLength
		return nil
	}
	b := r.src[:n]
	r.src = r.src[n:]
	return b
}

// floats fills each of xs from the next 8·len(x) bytes.
func (r *stateReader) floats(xs ...[]float64) {
	for _, x := range xs {
		b := r.take(8 * len(x))
		if b == nil {
			return
		}
		for i := range x {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
}

// bool reads one byte written by appendBool.
func (r *stateReader) bool() bool {
	b := r.take(1)
	return b != nil && b[0] == 1
}

// count reads a count written by appendCount.
func (r *stateReader) count() int {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint64(b))
}

// done returns the first error, or one when bytes are left over.
func (r *stateReader) done() error {
	if r.err == nil && len(r.src) != 0 {
		return fmt.Errorf("%w: %d bytes left over", errStateLength, len(r.src))
	}
	return r.err
}

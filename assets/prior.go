package assets

import (
	"io"
	"sync"

	"tweedie/assets/internal/priorfile"
	"tweedie/core/gmm"
)

// ErrCorrupt is wrapped by every error DecodePrior returns for malformed
// input (truncated input also wraps io.ErrUnexpectedEOF).
var ErrCorrupt = priorfile.ErrCorrupt

var mnistPrior = sync.OnceValues(func() (*gmm.Mixture, error) {
	return priorfile.DecodeBytes(priorBytes)
})

// MNISTPrior returns the embedded MNIST prior, decoded once into float64
// with each basis re-orthonormalised by modified Gram–Schmidt (orthonormal
// to about 1e-15). Every call returns the same *gmm.Mixture, shared by all
// callers: it is immutable and callers must not modify it (copy it first).
func MNISTPrior() (*gmm.Mixture, error) {
	return mnistPrior()
}

// DecodePrior reads a mixture in the format of mnist_prior.bin (see
// EncodePrior). It returns an error wrapping ErrCorrupt on malformed,
// truncated or checksum-failing input and never panics. Values are
// widened to float64, weights renormalised to sum to 1, and bases
// re-orthonormalised with modified Gram–Schmidt; the result Validates.
func DecodePrior(r io.Reader) (*gmm.Mixture, error) {
	return priorfile.Decode(r)
}

// EncodePrior writes m in the format of mnist_prior.bin: a little-endian
// header (magic "TWPR", version, H, W, C, K, and q per component), each
// component's weight, s², λ, μ and basis rows as float32, and a CRC-32.
// m must Validate. Storage is float32, so a round trip is exact only to
// float32 precision (and bases are re-orthonormalised on decoding).
func EncodePrior(w io.Writer, m *gmm.Mixture) error {
	return priorfile.Encode(w, m)
}

// MNISTComponentLabels returns, for each component of MNISTPrior, the digit
// it was fitted to. The generator fits the classes 0…9 in increasing order
// with the same number of components each (see internal/fit.Clusters).
func MNISTComponentLabels() ([]int, error) {
	mix, err := MNISTPrior()
	if err != nil {
		return nil, err
	}
	K := len(mix.Components)
	labels := make([]int, K)
	for k := range labels {
		labels[k] = k * 10 / K
	}
	return labels, nil
}

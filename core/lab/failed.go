package lab

import "fmt"

// A run that fails — an error of its method or of the denoiser (a model
// worker lost, one that answers NaN) — is counted, with its cause, in its
// entry's Failed and Failure and left out of every other figure; the lab
// goes on with the other seeds. Only a cancelled lab stops.

// runFailure is the cause of seed's failed run.
func runFailure(seed uint64, err error) error { return fmt.Errorf("seed %d: %w", seed, err) }

// countFailure counts one more failed run: the first cause is kept.
func countFailure(n int, first string, err error) (int, string) {
	if first == "" {
		first = err.Error()
	}
	return n + 1, first
}

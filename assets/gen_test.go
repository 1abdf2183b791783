package assets

import (
	"testing"

	"tweedie/internal/offline"
)

// TestGeneratorVets type-checks and vets the asset generator in ./gen, a
// module of its own, against the packages of tweedie it uses.
func TestGeneratorVets(t *testing.T) { offline.Go(t, "gen")("vet", ".") }

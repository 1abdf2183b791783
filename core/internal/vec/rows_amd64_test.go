package vec

import "testing"

// TestRowsEveryPath runs the bit-for-bit checks on each path this machine
// can take: AVX-512, AVX2 and Go.
func TestRowsEveryPath(t *testing.T) {
	asm, avx512 := useAsm, useAVX512
	defer func() { useAsm, useAVX512 = asm, avx512 }()
	for _, p := range []struct {
		name        string
		asm, avx512 bool
	}{{"AVX-512", true, true}, {"AVX2", true, false}, {"Go", false, false}} {
		if (p.asm && !asm) || (p.avx512 && !avx512) {
			t.Logf("%s: not on this machine", p.name)
			continue
		}
		useAsm, useAVX512 = p.asm, p.avx512
		checkRows(t, p.name)
		checkVecs(t, p.name)
		checkAffine(t, p.name)
		checkStrided(t, p.name)
	}
}

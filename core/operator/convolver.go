package operator

// Convolver is a linear operator that convolves every channel of the image
// circularly with one kernel,
//
//	A = F⁻¹·diag(k̂)·F  on each channel,
//
// F the unnormalised 2-D DFT (X[u, v] = Σ_{y,x} x[y, x]·exp(−2πi·(u·y/H +
// v·x/W))), so the 2-D DFT diagonalises A and every function of A·Aᵀ.
// Identity (k̂ = 1) and the circular blurs implement it; an operator wrapped
// by WithCG does not (its Solve is the point of wrapping it).
type Convolver interface {
	Linear
	// Transfer returns k̂, the 2-D DFT of the kernel wrapped onto the H×W
	// torus, row-major: k̂[u·W+v] at frequency (u, v), length H·W. It is
	// Hermitian (k̂[−ω] = conj k̂[ω]): the kernel is real. The slice is
	// shared; do not modify it.
	Transfer() []complex128
}

var (
	_ Convolver = (*identity)(nil)
	_ Convolver = (*blur)(nil)
)

// Transfer returns k̂ = 1 at every frequency.
func (a *identity) Transfer() []complex128 {
	if len(a.transfer) != a.shape.H*a.shape.W {
		a.transfer = make([]complex128, a.shape.H*a.shape.W)
		for i := range a.transfer {
			a.transfer[i] = 1
		}
	}
	return a.transfer
}

// Transfer returns the DFT of the wrapped kernel.
func (a *blur) Transfer() []complex128 { return a.khat }

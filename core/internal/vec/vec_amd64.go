package vec

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2 kernels and useAVX512 the AVX-512 ones; every
// path gives the bits of the Go reference. Tests switch them to compare.
var (
	useAsm    = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	useAVX512 = useAsm && cpu.X86.HasAVX512F
)

//go:noescape
func dotAsm(x, y []float64) float64

//go:noescape
func axpyAsm(a float64, x, y []float64)

//go:noescape
func dot3f(x *float32, stride int, y *float64, n int, out *[3]float64)

//go:noescape
func dot6f(x *float32, stride int, y *float64, n int, out *[6]float64)

//go:noescape
func axpy4f(y *float64, n int, a *[4]float64, x *float32, stride int)

//go:noescape
func axpy8f(y *float64, n int, a *[8]float64, x *float32, stride int)

//go:noescape
func dot3Asm(x0, x1, x2, y *float64, n int, out *[3]float64)

//go:noescape
func axpy4Asm(y *float64, n int, a *[4]float64, x0, x1, x2, x3 *float64)

//go:noescape
func dot2x4f(x *float32, stride int, y *[4]*float64, n int, out *[8]float64)

//go:noescape
func axpy4x4f(y *[4]*float64, n int, a *[16]float64, x *float32, stride int)

//go:noescape
func subScaledAsm(dst, x *float64, a float64, y *float64, n int)

//go:noescape
func shrinkAsm(dst, mu *float64, c float64, x *float64, a float64, n int)

//go:noescape
func addScaledDiffAsm(y *float64, a float64, m, x *float64, n int)

package vec

import "golang.org/x/sys/cpu"

var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAsm(x, y []float64) float64

//go:noescape
func axpyAsm(a float64, x, y []float64)

//go:noescape
func dot3Asm(x0, x1, x2, y *float64, n int, out *[3]float64)

//go:noescape
func axpy4Asm(y *float64, n int, a *[4]float64, x0, x1, x2, x3 *float64)

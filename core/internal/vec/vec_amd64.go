package vec

import "golang.org/x/sys/cpu"

var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAsm(x, y []float64) float64

//go:noescape
func axpyAsm(a float64, x, y []float64)

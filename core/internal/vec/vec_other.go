//go:build !amd64

package vec

const (
	useAsm    = false
	useAVX512 = false
)

func dotAsm(x, y []float64) float64     { return dotGo(x, y) }
func axpyAsm(a float64, x, y []float64) { axpyGo(a, x, y) }

func dot3f(x *float32, stride int, y *float64, n int, out *[3]float64) { panic("vec: no assembly") }
func dot6f(x *float32, stride int, y *float64, n int, out *[6]float64) { panic("vec: no assembly") }
func axpy4f(y *float64, n int, a *[4]float64, x *float32, stride int)  { panic("vec: no assembly") }
func axpy8f(y *float64, n int, a *[8]float64, x *float32, stride int)  { panic("vec: no assembly") }

func dot3Asm(x0, x1, x2, y *float64, n int, out *[3]float64) { panic("vec: no assembly") }

func axpy4Asm(y *float64, n int, a *[4]float64, x0, x1, x2, x3 *float64) {
	panic("vec: no assembly")
}

func dot2x4f(x *float32, stride int, y *[4]*float64, n int, out *[8]float64) {
	panic("vec: no assembly")
}

func axpy4x4f(y *[4]*float64, n int, a *[16]float64, x *float32, stride int) {
	panic("vec: no assembly")
}

func subScaledAsm(dst, x *float64, a float64, y *float64, n int) { panic("vec: no assembly") }

func shrinkAsm(dst, mu *float64, c float64, x *float64, a float64, n int) {
	panic("vec: no assembly")
}

func addScaledDiffAsm(y *float64, a float64, m, x *float64, n int) { panic("vec: no assembly") }

//go:build !amd64

package vec

const useAsm = false

func dotAsm(x, y []float64) float64     { return dotGo(x, y) }
func axpyAsm(a float64, x, y []float64) { axpyGo(a, x, y) }

package operator

import (
	"math"
	"math/rand/v2"
)

// gaussKernel returns the size×size kernel, row-major,
//
//	k[a, b] ∝ exp(−((a−c)² + (b−c)²)/(2·std²)),  c = (size−1)/2,
//
// normalised to sum 1. When std is so small that every weight underflows
// (an even size has no centre cell) the kernel is NaN: see checkKernel.
func gaussKernel(size int, std float64) []float64 {
	k := make([]float64, size*size)
	c := float64(size-1) / 2
	sum := 0.0
	for a := 0; a < size; a++ {
		for b := 0; b < size; b++ {
			// Divide before squaring: std² underflows to 0 for a tiny std,
			// and 0/0 is NaN where (da/std)² is 0 at the centre and +Inf
			// (a zero weight) elsewhere.
			da, db := (float64(a)-c)/std, (float64(b)-c)/std
			v := math.Exp(-(da*da + db*db) / 2)
			k[a*size+b] = v
			sum += v
		}
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// motionKernel returns a size×size motion-blur kernel, row-major, normalised
// to sum 1, fixed by (size, seed). It rasterises a random smooth trajectory:
// with rng = rand.New(rand.NewPCG(seed, 0)), n = 4·size steps of length
// (size−1)/n starting in direction θ₀ ~ U[0, 2π), each turning by
// N(0, 0.3²) radians,
//
//	p_{t+1} = p_t + ℓ·(sin θ_t, cos θ_t),  θ_{t+1} = θ_t + 0.3·z_t,
//
// so the path has length size−1. The path is translated so its centroid is the
// kernel centre, clamped to the kernel box, and each of its n+1 points is
// spread bilinearly onto the four nearest kernel cells.
func motionKernel(size int, seed uint64) []float64 {
	k := make([]float64, size*size)
	if size == 1 {
		k[0] = 1
		return k
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	n := 4 * size
	step := float64(size-1) / float64(n)
	py := make([]float64, n+1)
	px := make([]float64, n+1)
	theta := 2 * math.Pi * rng.Float64()
	for t := 1; t <= n; t++ {
		py[t] = py[t-1] + step*math.Sin(theta)
		px[t] = px[t-1] + step*math.Cos(theta)
		theta += 0.3 * rng.NormFloat64()
	}
	var my, mx float64
	for t := range py {
		my += py[t]
		mx += px[t]
	}
	c := float64(size-1) / 2
	my, mx = c-my/float64(n+1), c-mx/float64(n+1)
	hi := float64(size - 1)
	for t := range py {
		y := math.Min(math.Max(py[t]+my, 0), hi)
		x := math.Min(math.Max(px[t]+mx, 0), hi)
		i0, j0 := int(math.Floor(y)), int(math.Floor(x))
		fy, fx := y-float64(i0), x-float64(j0)
		deposit := func(i, j int, w float64) {
			if w > 0 && i < size && j < size {
				k[i*size+j] += w
			}
		}
		deposit(i0, j0, (1-fy)*(1-fx))
		deposit(i0+1, j0, fy*(1-fx))
		deposit(i0, j0+1, (1-fy)*fx)
		deposit(i0+1, j0+1, fy*fx)
	}
	sum := 0.0
	for _, v := range k {
		sum += v
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

package metrics

import (
	"math"

	"tweedie/core/img"
)

// SSIM window and constants (Wang et al. 2004).
const (
	ssimRadius = 5   // window 11×11
	ssimSigma  = 1.5 // Gaussian window standard deviation
	ssimK1     = 0.01
	ssimK2     = 0.03
)

// SSIM returns the mean structural similarity of x against ref (Wang, Bovik,
// Sheikh and Simoncelli 2004) for images of the given shape in [−1, 1]:
//
//	SSIM(p) = (2·μx·μy + C1)·(2·σxy + C2) / ((μx² + μy² + C1)·(σx² + σy² + C2)),
//	C1 = (0.01·R)², C2 = (0.03·R)², R = 2,
//
// where μ, σ² and σxy are local means, variances and covariance weighted by
// an 11×11 Gaussian window of standard deviation 1.5 (normalised to sum 1;
// population, not sample, moments). SSIM(p) is averaged over the valid
// positions p, where the window lies inside the image ((H−10)×(W−10) of
// them), separately per channel, and the channel means are averaged. This
// matches scikit-image's structural_similarity(x, ref, data_range=2,
// gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
// channel_axis=-1).
//
// SSIM returns NaN if H or W is smaller than 11. It panics if the lengths of
// x or ref differ from shape.Len().
func SSIM(x, ref []float64, shape img.Shape) float64 {
	d := shape.Len()
	if len(x) != d || len(ref) != d {
		panic("metrics: length mismatch")
	}
	const win = 2*ssimRadius + 1
	H, W, C := shape.H, shape.W, shape.C
	if H < win || W < win {
		return math.NaN()
	}
	g := gaussWindow()
	c1 := (ssimK1 * DataRange) * (ssimK1 * DataRange)
	c2 := (ssimK2 * DataRange) * (ssimK2 * DataRange)

	oh, ow := H-win+1, W-win+1
	// Five planes to filter: x, y, x², y², x·y.
	planes := make([][]float64, 5)
	for k := range planes {
		planes[k] = make([]float64, H*W)
	}
	tmp := make([]float64, H*ow)
	out := make([][]float64, 5)
	for k := range out {
		out[k] = make([]float64, oh*ow)
	}
	total := 0.0
	for c := 0; c < C; c++ {
		for p := 0; p < H*W; p++ {
			a, b := x[p*C+c], ref[p*C+c]
			planes[0][p] = a
			planes[1][p] = b
			planes[2][p] = a * a
			planes[3][p] = b * b
			planes[4][p] = a * b
		}
		for k := range planes {
			filterValid(out[k], tmp, planes[k], H, W, g)
		}
		sum := 0.0
		for p := range out[0] {
			mx, my := out[0][p], out[1][p]
			vx := out[2][p] - mx*mx
			vy := out[3][p] - my*my
			vxy := out[4][p] - mx*my
			sum += (2*mx*my + c1) * (2*vxy + c2) / ((mx*mx + my*my + c1) * (vx + vy + c2))
		}
		total += sum / float64(oh*ow)
	}
	return total / float64(C)
}

// gaussWindow returns the normalised 1-D Gaussian taps g_i ∝ exp(−i²/(2σ²)),
// i = −5..5; the 2-D window is g_i·g_j.
func gaussWindow() []float64 {
	g := make([]float64, 2*ssimRadius+1)
	sum := 0.0
	for i := range g {
		t := float64(i - ssimRadius)
		g[i] = math.Exp(-t * t / (2 * ssimSigma * ssimSigma))
		sum += g[i]
	}
	for i := range g {
		g[i] /= sum
	}
	return g
}

// filterValid correlates the H×W plane src with the separable window g⊗g,
// keeping only positions where the window fits: dst is (H−n+1)×(W−n+1),
// tmp is H×(W−n+1) scratch.
func filterValid(dst, tmp, src []float64, H, W int, g []float64) {
	n := len(g)
	ow, oh := W-n+1, H-n+1
	for i := 0; i < H; i++ {
		row := src[i*W : (i+1)*W]
		for j := 0; j < ow; j++ {
			s := 0.0
			for k, w := range g {
				s += w * row[j+k]
			}
			tmp[i*ow+j] = s
		}
	}
	for i := 0; i < oh; i++ {
		for j := 0; j < ow; j++ {
			s := 0.0
			for k, w := range g {
				s += w * tmp[(i+k)*ow+j]
			}
			dst[i*ow+j] = s
		}
	}
}

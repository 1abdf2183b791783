// Package run drives a guided reverse-diffusion sampler over a whole
// trajectory, one step at a time, and records what happened at every step.
//
// A Problem fixes the prior, the operator A, the ground truth x0 and the
// measurement y = A(x0) + σ·z (z fixed by a seed). A Config fixes the
// sampler, the number of steps, the seed of the sampler's noise and the
// guidance method. At step i, from t = grid[i] to s = grid[i+1] (or 0):
//
//	x̂0     = E[x0 | x_t]                            (the denoiser)
//	g      = the method's estimate of ∇log p(y|x_t)
//	x_s    = A_i·(x̂0 + Δ0) + B_i·x_t + C_i·z_i + Δs  (the sampler step, corrected)
//	update = A_i·Δ0 + Δs                             (what the guidance changed in x_s)
//
// where a method sets either Δ0 (it moves x̂0, Tweedie-consistently) or Δs.
// The noise x_T, z_1, z_2, … comes from the seed alone, whatever the
// method, so switching methods compares like with like; the same seed gives
// the same trajectory bit for bit.
package run

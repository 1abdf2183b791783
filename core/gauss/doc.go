// Package gauss is an exact stationary Gaussian prior over colour images
// with the power-law spectrum of natural images: its denoiser E[x0|x_t]
// with Jacobian products, and for a linear measurement the exact posterior
// (mean, covariance products, samples, per-pixel standard deviation) and
// the exact guidance ∇log p(y|x_t).
//
// # The prior
//
// x0 ~ N(μ, Σ) over H×W×C images (C = 1 or 3, H, W ≤ MaxSide), flattened
// as img does (channels innermost), with the Kronecker covariance
//
//	Σ = S ⊗ K,
//
// S the spatial covariance (H·W × H·W) and K the colour covariance (C×C).
// S is stationary on the torus (circulant), so the unitary 2-D DFT
// diagonalises it, with eigenvalue P̃(ω) at frequency ω = (u, v):
//
//	P(ω)  = (f² + f0²)^(−α/2),  f² = (ū/H)² + (v̄/W)²  (cycles per pixel),
//	        ū = min(u, H−u), v̄ = min(v, W−v),  f0 = 1/max(H, W),
//	P̃(ω) = P(ω) / mean_ω P(ω),
//
// so every pixel has spatial variance 1 (the diagonal of a circulant is the
// mean of its eigenvalues) and Var x0[p, c] = K_cc. α = 2 (the default) is
// the 1/f amplitude spectrum measured on natural images (Field 1987; van
// der Schaaf and van Hateren 1996 found power exponents 1.88 ± 0.43); α = 0
// is white noise. f0, one cycle per image, keeps the zero frequency finite
// and makes the picture look alike at every size. With K = Q·diag(κ)·Qᵀ
// (Q orthonormal), Σ is diagonal in the colour eigenbasis followed by the
// 2-D DFT of each eigen-channel, with eigenvalues λ_k(ω) = κ_k·P̃(ω).
//
// # Colour
//
// K and μ are ImageNet's pixel statistics as fb.resnet.torch publishes them
// (datasets/imagenet.lua, "computed from random subset of ImageNet training
// images"), moved from [0, 1] to [−1, 1] (x ↦ 2x − 1):
//
//	mean = (0.485, 0.456, 0.406)  →  μ_c = (−0.030, −0.088, −0.188),
//	std  = (0.229, 0.224, 0.225)  →  sd_c = (0.458, 0.448, 0.450),
//
// and the channels' correlation is that of the covariance of the same
// file's PCA (AlexNet's colour augmentation, Krizhevsky et al. 2012),
// V·diag(0.2175, 0.0188, 0.0045)·Vᵀ with
//
//	V = [−0.5675  0.7192  0.4009; −0.5808 −0.0045 −0.8140; −0.5836 −0.6948  0.4203]
//
// (columns the eigenvectors; the eigenvalues read as variances), which
// gives corr(R, G) = 0.895, corr(R, B) = 0.771, corr(G, B) = 0.902. So
// K = D·R·D with R that correlation and D = diag(sd). Its eigenvectors are
// decorrelated opponent axes: luminance (≈ R + G + B, variance 0.554), a
// red–blue axis (≈ R − B, 0.047) and a green–magenta one (≈ R + B − 2G,
// 0.012). A grey prior (C = 1) is the mean (R + G + B)/3 of the colour one:
// μ = mean of μ_c, K = 1ᵀ·K·1/9.
//
// # Denoiser
//
// At noise level ᾱ, x_t = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε, each eigen-mode is an
// independent scalar problem, so
//
//	x̂0 = E[x0|x_t] = μ + J·(x_t − sqrt(ᾱ)·μ),   J = sqrt(ᾱ)·Σ·(ᾱ·Σ + (1−ᾱ)·I)⁻¹,
//	Cov[x0|x_t] = V_t = (1−ᾱ)·Σ·(ᾱ·Σ + (1−ᾱ)·I)⁻¹,
//
// with eigenvalues J(ω) = sqrt(ᾱ)·λ/(ᾱ·λ + 1−ᾱ) and v_t(ω) = (1−ᾱ)·λ/(ᾱ·λ
// + 1−ᾱ): J = sqrt(ᾱ)/(1−ᾱ)·Cov[x0|x_t] (second-order Tweedie), symmetric
// and independent of x_t. x̂0 and Jᵀ·v each cost one forward and one
// inverse 2-D transform of the image (fft.go). The noise schedule is
// schedule.Default().
//
// # Exact posterior
//
// For y = A·x0 + σ·z (A linear, σ > 0) the posterior is N(m', Σ'),
//
//	S  = A·Σ·Aᵀ + σ²·I,
//	m' = μ + Σ·Aᵀ·S⁻¹·(y − A·μ),
//	Σ' = Σ − Σ·Aᵀ·S⁻¹·A·Σ,
//
// and every quantity here is one solve with S (or with S_t below) between
// products by Σ, A and Aᵀ. How the solve is done depends on A's structure
// (see measurement):
//
//   - A circular convolution of each channel by one kernel
//     (operator.Convolver: identity, blur-gauss, blur-motion) is diagonal
//     in the same Fourier basis, k̂(ω) on every channel, so S is too:
//     S(ω) = |k̂(ω)|²·λ(ω) + σ², and the solve, the per-pixel standard
//     deviation (constant per channel: sd_c² = Σ_k Q_ck²·mean_ω λ'_k(ω),
//     λ' = λ·σ²/S), log p(y) and log p_t(x_t | y) are closed forms.
//   - A with A·Aᵀ = c·I (masks: c = 1; average pooling ×f: c = 1/f²) is
//     solved by conjugate gradients preconditioned by (1/c)·A·(c·Σ +
//     σ²·I)⁻¹·Aᵀ, a filter between A and Aᵀ (see solver.solve): at
//     128×128×3 and ᾱ = 0, 15–31 iterations for boxes, the half mask and
//     pooling, about 150 for a random half of the pixels (fewer as ᾱ
//     grows).
//   - Any other linear A (svd, an operator wrapped by operator.WithCG) is
//     solved by conjugate gradients on Apply and Adjoint alone.
//
// Conjugate gradients stop at a relative residual ‖b − S·u‖ ≤ Tol·‖b‖
// (DefaultTol), checked on the true residual, not the recurrence's.
//
// Posterior samples use Matheron's rule, the perturbation–optimisation
// sampler of Papandreou and Yuille (2010) and Orieux, Féron and Giovannelli
// (2012, "Sampling high-dimensional Gaussian distributions for general
// linear inverse problems", IEEE Signal Processing Letters 19(5)), which
// is exact for a Gaussian posterior when the optimisation is solved
// exactly: with x ~ N(μ, Σ) and ε ~ N(0, σ²·I),
//
//	x + Σ·Aᵀ·S⁻¹·(y − A·x − ε) ~ N(m', Σ'),
//
// exact up to the solve (to rounding for convolutions, to the CG tolerance
// otherwise). The per-pixel standard deviation is a closed form for
// convolutions; otherwise it is estimated from n such samples (the
// empirical standard deviation around the exact m'), with relative
// standard error 1/sqrt(2n) per pixel.
//
// # Exact guidance
//
// Given x_t, x0 ~ N(x̂0, V_t), so p(y | x_t) = N(y; A·x̂0, S_t) with S_t =
// A·V_t·Aᵀ + σ²·I and
//
//	∇_{x_t} log p(y|x_t) = Jᵀ·Aᵀ·S_t⁻¹·(y − A·x̂0),
//
// one solve with S_t per call: a closed form for convolutions, conjugate
// gradients otherwise. It equals the difference of the scores of
// p_t(x_t | y) = N(sqrt(ᾱ)·m', ᾱ·Σ' + (1−ᾱ)·I) and p_t(x_t) (checked in
// the tests).
package gauss

"""A PyTorch peer of tweedie's 1000-step DPS trajectory, for timing.

The same math as `tweedie run` with --method dps (norm form) on the
embedded MNIST prior: the exact Gaussian-mixture Tweedie estimate

    x̂0 = Σ_k w_k·m_k,  m_k = μ_k + sqrt(ᾱ)·[(s²/c⊥)·r_k + U_k·diag(λ/c − s²/c⊥)·U_kᵀ·r_k],

its vector–Jacobian product by second-order Tweedie (analytic, no autograd)

    Jᵀv = sqrt(ᾱ)·Σ_k w_k·Σ_k·C_k⁻¹·v + sqrt(ᾱ)/(1−ᾱ)·Σ_k w_k·δ_k·(δ_k·v),  δ_k = m_k − x̂0,

and the DDPM step x_s = A·x̂0 + B·x_t + C·z + ζ/‖y − A·x̂0‖·Jᵀ·Aᵀ·(y − A·x̂0),
in float32 on one thread, every component evaluated (no skipping).

Usage: python3 dps_torch.py PRIOR.npz PROBLEM.json
PRIOR.npz is `tweedie prior export`'s archive; PROBLEM.json (written by the
Go test TestTorchPeer) holds the observed pixel indices, y, ζ, the DDPM
coefficients of each step and a check point with Go's x̂0 and Jᵀv there.
It checks its x̂0 and Jᵀv against Go's (float32 tolerance), then times
whole trajectories and prints one JSON line: {"seconds": best, ...}.
"""

import json
import sys
import time

import numpy as np
import torch


def load(prior_path, problem_path):
    z = np.load(prior_path)
    f = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    mix = {
        "w": f(z["weights"]),
        "mu": f(z["means"]),                          # (K, d)
        "U": f(np.transpose(z["bases"], (0, 2, 1))),  # (K, q, d): rows u_kj
        "lam": f(z["eigenvalues"]),                   # (K, q)
        "s2": f(z["residual_variance"]),              # (K,)
    }
    with open(problem_path) as fh:
        prob = json.load(fh)
    return mix, prob


class Mixture:
    def __init__(self, m):
        self.__dict__.update(m)
        self.K, self.q, self.d = self.U.shape
        self.logw = torch.log(self.w)

    def denoise(self, x, ab):
        """x̂0 at x_t = x, and what the VJP there needs."""
        sa, v = ab ** 0.5, 1.0 - ab
        r = x[None, :] - sa * self.mu                      # (K, d)
        p = torch.bmm(self.U, r[:, :, None])[:, :, 0]      # (K, q) = U_kᵀ r_k
        c = ab * self.lam + v
        perp = ab * self.s2 + v
        quad = (r * r).sum(1) / perp + (p * p * (1 / c - 1 / perp[:, None])).sum(1)
        logdet = torch.log(c).sum(1) + (self.d - self.q) * torch.log(perp)
        w = torch.softmax(self.logw - 0.5 * (logdet + quad), 0)
        s_perp = self.s2 / perp
        gain = self.lam / c - s_perp[:, None]              # λ/c − s²/c⊥
        coef = sa * gain * p
        m = self.mu + sa * s_perp[:, None] * r + torch.bmm(coef[:, None, :], self.U)[:, 0, :]
        x0 = w @ m
        return x0, (sa, v, w, s_perp, gain, m - x0[None, :])

    def vjp(self, state, vv):
        sa, v, w, s_perp, gain, delta = state
        pv = self.U @ vv                                   # (K, q)
        coef = sa * w[:, None] * gain * pv
        out = sa * (w * s_perp).sum() * vv + torch.bmm(coef[:, None, :], self.U)[:, 0, :].sum(0)
        out += (sa / v) * ((w * (delta @ vv)) @ delta)
        return out


def trajectory(mix, prob, obs, y, seed):
    g = torch.Generator().manual_seed(seed)
    d = mix.d
    x = torch.randn(d, generator=g)
    zeta = prob["zeta"]
    back = torch.zeros(d)
    for ab, a, b, c in prob["steps"]:
        x0, st = mix.denoise(x, ab)
        res = y - x0[obs]
        rn = torch.linalg.vector_norm(res)
        back.zero_()
        back[obs] = res
        h = mix.vjp(st, back)
        z = torch.randn(d, generator=g)
        x = a * x0 + b * x + c * z + (zeta / rn) * h
    return x


def main():
    torch.set_num_threads(1)
    m, prob = load(sys.argv[1], sys.argv[2])
    mix = Mixture(m)
    obs = torch.tensor(prob["observed"], dtype=torch.long)
    y = torch.tensor(prob["y"], dtype=torch.float32)
    with torch.no_grad():
        chk = prob["check"]
        x0, st = mix.denoise(torch.tensor(chk["xt"], dtype=torch.float32), chk["alpha_bar"])
        jv = mix.vjp(st, torch.tensor(chk["v"], dtype=torch.float32))
        rel = lambda a, b: float(torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b))
        e0 = rel(x0, torch.tensor(chk["x0"], dtype=torch.float32))
        ej = rel(jv, torch.tensor(chk["jv"], dtype=torch.float32))
        best = float("inf")
        for seed in range(prob.get("repeats", 2)):
            t0 = time.perf_counter()
            x = trajectory(mix, prob, obs, y, seed)
            best = min(best, time.perf_counter() - t0)
        final_res = float(torch.linalg.vector_norm(y - x[obs]))
    print(json.dumps({"seconds": best, "x0_rel_err": e0, "jv_rel_err": ej,
                      "final_residual": final_res, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()

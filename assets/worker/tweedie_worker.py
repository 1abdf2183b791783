#!/usr/bin/env python3
"""tweedie's model worker: serves a diffusion model's denoiser x̂0(x_t) and
its vector-Jacobian products to tweedie over stdin/stdout (protocol version
1, described in tweedie's docs/worker.md). Needs Python 3 and NumPy, and
PyTorch for every model but numpy-linear: it is imported when such a model
is loaded, so the protocol runs (and is tested) wherever NumPy does.

    python3 tweedie_worker.py --model mixture:prior.npz     # exact mixture (`tweedie prior export`)
    python3 tweedie_worker.py --model unet:28x28x1           # a small random UNet, for tests
    python3 tweedie_worker.py --model identity:28x28x1       # x̂0 = x_t, to time the protocol
    python3 tweedie_worker.py --model numpy-linear:4x4x1     # a linear model in NumPy alone, for smoke tests
    python3 tweedie_worker.py --model diffusers:my.py:load   # load() -> (UNet2DModel, scheduler)
    python3 tweedie_worker.py --model my.py:load             # load() -> (module, alphas_cumprod, prediction)
    python3 tweedie_worker.py --train-mnist train-images-idx3-ubyte.gz --minutes 15 --out mnist_unet.pt
    python3 tweedie_worker.py --model learned:mnist_unet.pt  # the UNet trained so

A factory of the last kind returns a module called as module(x, t) with x of
shape (B, C, H, W) in [-1, 1] and t a float tensor of shape (B,) of 0-based
timesteps (fractional between the table's entries), its ᾱ table
alphas_cumprod (ᾱ_1 … ᾱ_T) and its prediction type "eps", "x0" or "v"; it
may instead return a dict with keys module, alphas_cumprod, prediction and
optionally image (H, W, C). Anything the model prints goes to stderr.
"""

import argparse
import functools
import importlib.util
import json
import math
import os
import queue
import struct
import sys
import threading
import time
import traceback
import types

import numpy as np

# PyTorch is imported inside the functions that use it, at the first of
# them: a model in NumPy alone (NumpyLinear) never imports it.

VERSION = 1
MAX_HEADER = 1 << 20


def log(*a):
    print("worker:", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- models


class Model:
    """A denoiser over flat rows of float32 NumPy arrays (B, d), and its
    vector-Jacobian products. linearize returns x̂0 and a point that vjp
    takes with the rows lo:hi of the batch linearized (the other rows, of
    other requests sharing the forward pass, get zero)."""

    image = (28, 28, 1)
    alpha_bars = None  # ᾱ_1 … ᾱ_T
    prediction = "x0"
    description = ""

    def denoise(self, x, alpha_bar):
        raise NotImplementedError

    def linearize(self, x, alpha_bar):
        raise NotImplementedError

    def vjp(self, point, lo, hi, v):
        raise NotImplementedError

    def denoise_vjp(self, x, alpha_bar, v):
        y, point = self.linearize(x, alpha_bar)
        return y, self.vjp(point, 0, len(x), v)


class TorchModel(Model):
    """A model whose x0hat(x, alpha_bar) maps a torch tensor (B, d) of
    dtype on device; its VJPs are torch.autograd's."""

    dtype = "float32"
    device = "cpu"

    def x0hat(self, x, alpha_bar):
        raise NotImplementedError

    def tensor(self, a, grad=False):
        import torch

        t = torch.as_tensor(np.array(a, dtype=np.float32), device=torch.device(self.device)).to(getattr(torch, self.dtype))
        return t.requires_grad_(grad)

    @staticmethod
    def out(t):
        import torch

        return t.detach().to("cpu", torch.float32).numpy()

    def denoise(self, x, alpha_bar):
        import torch

        with torch.no_grad():
            return self.out(self.x0hat(self.tensor(x), alpha_bar))

    def linearize(self, x, alpha_bar):
        xt = self.tensor(x, grad=True)
        y = self.x0hat(xt, alpha_bar)
        return self.out(y), (xt, y)

    def vjp(self, point, lo, hi, v):
        import torch

        x, y = point
        full = torch.zeros_like(y)
        full[lo:hi] = self.tensor(v)
        # Rows are independent: the rows of the other requests of a shared
        # forward pass get zero and are not returned.
        (g,) = torch.autograd.grad(y, x, full, retain_graph=True)
        return self.out(g[lo:hi])

    def denoise_vjp(self, x, alpha_bar, v):
        import torch

        xt = self.tensor(x, grad=True)
        y = self.x0hat(xt, alpha_bar)
        (g,) = torch.autograd.grad(y, xt, self.tensor(v))
        return self.out(y), self.out(g)


class NumpyLinear(Model):
    """The linear x̂0_i = √ᾱ·(x_i + ½·x_{i+1 mod d}), whose Jacobian is not
    symmetric, (Jᵀv)_j = √ᾱ·(v_j + ½·v_{j−1 mod d}), in NumPy alone (tweedie's
    Go fake worker serves the same model): a stand-in for a network, to
    test the protocol where PyTorch is not installed. It refuses an input
    that is not finite, as a model may fail."""

    def __init__(self, image):
        self.image = image
        self.alpha_bars = linear_alpha_bars()
        self.prediction = "x0"
        self.description = "numpy-linear %dx%dx%d" % image

    @staticmethod
    def apply(x, alpha_bar, transpose):
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise ValueError("the input is not finite")
        shifted = np.roll(x, 1 if transpose else -1, axis=1)
        return (math.sqrt(alpha_bar) * (x + 0.5 * shifted)).astype(np.float32)

    def denoise(self, x, alpha_bar):
        return self.apply(x, alpha_bar, False)

    def linearize(self, x, alpha_bar):
        return self.apply(x, alpha_bar, False), alpha_bar

    def vjp(self, point, lo, hi, v):
        return self.apply(v, point, True)


def linear_alpha_bars(T=1000, beta1=1e-4, betaT=0.02):
    betas = np.linspace(beta1, betaT, T, dtype=np.float64)
    return np.cumprod(1.0 - betas)


class Mixture(TorchModel):
    """The exact E[x0 | x_t] of a Gaussian mixture with low-rank-plus-
    isotropic covariances, as written by `tweedie prior export`, in float64."""

    def __init__(self, path, device):
        import torch

        z = np.load(path)
        self.dtype, self.device = "float64", device
        t = lambda k: torch.as_tensor(np.asarray(z[k], dtype=np.float64), device=device)
        self.w, self.mu, self.U, self.lam, self.s2 = t("weights"), t("means"), t("bases"), t("eigenvalues"), t("residual_variance")
        self.image = (int(z["height"]), int(z["width"]), int(z["channels"]))
        self.alpha_bars = linear_alpha_bars()
        self.prediction = "x0"
        K, d = self.mu.shape
        self.description = "exact mixture K=%d d=%d q=%d from %s" % (K, d, self.U.shape[2], os.path.basename(path))

    def x0hat(self, x, ab):
        import torch

        sa, nv = math.sqrt(ab), 1.0 - ab
        r = x[:, None, :] - sa * self.mu[None]  # (B, K, d)
        p = torch.einsum("bkd,kdq->bkq", r, self.U)  # U_kᵀ r
        c = ab * self.lam + nv  # (K, q)
        cp = ab * self.s2 + nv  # (K,)
        d = x.shape[1]
        rr = (r * r).sum(-1)
        quad = rr / cp + (p * p * (1 / c - 1 / cp[:, None])).sum(-1)
        logdet = torch.log(c).sum(-1) + (d - c.shape[1]) * torch.log(cp)
        logw = torch.log(self.w) - 0.5 * (logdet + quad)
        w = torch.softmax(logw, dim=1)  # (B, K)
        sp = self.s2 / cp
        coef = sa * (self.lam / c - sp[:, None]) * p  # (B, K, q)
        m = self.mu[None] + sa * sp[None, :, None] * r + torch.einsum("bkq,kdq->bkd", coef, self.U)
        return (w[:, :, None] * m).sum(1)


@functools.lru_cache(maxsize=None)
def nets():
    """The torch modules of the worker's own models, defined at the first
    call (it imports PyTorch)."""
    import torch

    def timestep_embedding(t, dim):
        half = dim // 2
        f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        a = t[:, None].float() * f[None]
        return torch.cat([torch.sin(a), torch.cos(a)], dim=1)

    class Block(torch.nn.Module):
        def __init__(self, cin, cout, temb):
            super().__init__()
            self.n1 = torch.nn.GroupNorm(min(8, cin), cin)
            self.c1 = torch.nn.Conv2d(cin, cout, 3, padding=1)
            self.t = torch.nn.Linear(temb, cout)
            self.n2 = torch.nn.GroupNorm(min(8, cout), cout)
            self.c2 = torch.nn.Conv2d(cout, cout, 3, padding=1)
            self.skip = torch.nn.Conv2d(cin, cout, 1) if cin != cout else torch.nn.Identity()

        def forward(self, x, e):
            h = self.c1(torch.nn.functional.silu(self.n1(x)))
            h = h + self.t(e)[:, :, None, None]
            h = self.c2(torch.nn.functional.silu(self.n2(h)))
            return h + self.skip(x)

    class SmallUNet(torch.nn.Module):
        """A two-level UNet: called as net(x (B, C, H, W), t (B,))."""

        def __init__(self, channels=1, width=16, temb=32):
            super().__init__()
            self.temb = temb
            self.emb = torch.nn.Sequential(torch.nn.Linear(temb, temb), torch.nn.SiLU(), torch.nn.Linear(temb, temb))
            self.inp = torch.nn.Conv2d(channels, width, 3, padding=1)
            self.d1 = Block(width, width, temb)
            self.d2 = Block(width, 2 * width, temb)
            self.mid = Block(2 * width, 2 * width, temb)
            self.u2 = Block(4 * width, width, temb)
            self.u1 = Block(2 * width, width, temb)
            self.out = torch.nn.Conv2d(width, channels, 3, padding=1)

        def forward(self, x, t):
            e = self.emb(timestep_embedding(t, self.temb))
            h1 = self.d1(self.inp(x), e)
            h2 = self.d2(torch.nn.functional.avg_pool2d(h1, 2, ceil_mode=True), e)
            m = self.mid(h2, e)
            u = self.u2(torch.cat([m, h2], 1), e)
            u = torch.nn.functional.interpolate(u, size=h1.shape[-2:], mode="nearest")
            u = self.u1(torch.cat([u, h1], 1), e)
            return self.out(u)

    class Identity(torch.nn.Module):
        def forward(self, x, t):
            return x * 1.0

    class TanhX0(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x, t):
            return torch.tanh(self.net(x, t))

    return types.SimpleNamespace(timestep_embedding=timestep_embedding, Block=Block, SmallUNet=SmallUNet,
                                 Identity=Identity, TanhX0=TanhX0)


class Net(TorchModel):
    """A module predicting ε, x0 or v from (x (B, C, H, W), t (B,)), its
    output converted to x̂0."""

    def __init__(self, module, alpha_bars, prediction, image, device, description, call=None):
        self.module = module.to(device).eval()
        self.alpha_bars = np.asarray(alpha_bars, dtype=np.float64).reshape(-1)
        self.prediction = prediction
        self.image = tuple(int(n) for n in image)
        self.device = device
        self.description = description
        self.call = call or (lambda m, x, t: m(x, t))
        self.log_ab = np.log(self.alpha_bars)

    def timestep(self, ab):
        # 0-based (fractional) index of ᾱ in the decreasing table, by log ᾱ.
        la = math.log(ab)
        tab = self.log_ab
        if la >= tab[0]:
            return 0.0
        if la <= tab[-1]:
            return float(len(tab) - 1)
        i = int(np.searchsorted(-tab, -la))  # tab[i-1] > la ≥ tab[i]
        lo, hi = tab[i - 1], tab[i]
        return (i - 1) + (lo - la) / (lo - hi) if lo != hi else float(i)

    def x0hat(self, x, ab):
        import torch

        H, W, C = self.image
        B = x.shape[0]
        xi = x.reshape(B, H, W, C).permute(0, 3, 1, 2)
        t = torch.full((B,), self.timestep(ab), dtype=torch.float32, device=x.device)
        out = self.call(self.module, xi, t)
        sa, sn = math.sqrt(ab), math.sqrt(1.0 - ab)
        if self.prediction == "eps":
            x0 = (xi - sn * out) / sa
        elif self.prediction == "v":
            x0 = sa * xi - sn * out
        else:
            x0 = out
        return x0.permute(0, 2, 3, 1).reshape(B, -1)


def read_idx_images(path):
    """The images of an MNIST idx3 file (gzipped or not) as float32 in [-1, 1]."""
    import gzip

    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        raw = f.read()
    magic, n, h, w = struct.unpack(">IIII", raw[:16])
    if magic != 2051 or len(raw) != 16 + n * h * w:
        raise SystemExit("worker: %s is not an idx3 image file" % path)
    x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 1, h, w)
    return x.astype(np.float32) / 127.5 - 1.0


def train_mnist(args):
    """Trains the small UNet to predict ε on MNIST for --minutes and saves it."""
    torch = torch_setup(args)
    torch.manual_seed(args.seed)
    data = torch.from_numpy(read_idx_images(args.train_mnist))
    dev = torch.device(args.device)
    net = nets().SmallUNet(channels=1, width=args.width).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    ab = torch.as_tensor(linear_alpha_bars(), dtype=torch.float32, device=dev)
    log("training on %d images of %s, %d parameters, for %.1f min" % (len(data), args.train_mnist, sum(p.numel() for p in net.parameters()), args.minutes))
    t0, it, avg = time.time(), 0, None
    while time.time() - t0 < 60 * args.minutes:
        idx = torch.randint(0, len(data), (args.batch,))
        x0 = data[idx].to(dev)
        t = torch.randint(0, len(ab), (args.batch,), device=dev)
        a = ab[t][:, None, None, None]
        eps = torch.randn_like(x0)
        loss = torch.mean((net(a.sqrt() * x0 + (1 - a).sqrt() * eps, t.float()) - eps) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        it += 1
        avg = loss.item() if avg is None else 0.99 * avg + 0.01 * loss.item()
        if it % 200 == 0:
            log("iteration %d, %.0f s: loss %.4f (running mean)" % (it, time.time() - t0, avg))
    torch.save({"state_dict": net.state_dict(), "width": args.width, "iterations": it, "loss": avg,
                "seconds": time.time() - t0}, args.out)
    log("saved %s: %d iterations in %.0f s, final loss %.4f" % (args.out, it, time.time() - t0, avg))


def learned_model(path, dev):
    import torch

    ck = torch.load(path, map_location=dev)
    net = nets().SmallUNet(channels=1, width=ck["width"])
    net.load_state_dict(ck["state_dict"])
    desc = "MNIST UNet %s (%d iterations, loss %.4f)" % (os.path.basename(path), ck["iterations"], ck["loss"])
    return Net(net, linear_alpha_bars(), "eps", (28, 28, 1), dev, desc)


def parse_shape(s, default=(28, 28, 1)):
    if not s:
        return default
    parts = [int(n) for n in s.lower().split("x")]
    if len(parts) == 2:
        parts.append(1)
    if len(parts) != 3 or min(parts) < 1:
        raise SystemExit("worker: bad shape %r, want HxWxC" % s)
    return tuple(parts)


def load_factory(spec):
    path, _, name = spec.rpartition(":")
    if not path or not name:
        raise SystemExit("worker: --model %r: want FILE.py:FUNCTION" % spec)
    sp = importlib.util.spec_from_file_location("tweedie_user_model", path)
    if sp is None:
        raise SystemExit("worker: cannot load %s" % path)
    mod = importlib.util.module_from_spec(sp)
    sp.loader.exec_module(mod)
    return getattr(mod, name)


def diffusers_model(unet, scheduler, device, image, spec):
    import torch

    ab = np.asarray(torch.as_tensor(scheduler.alphas_cumprod).double().cpu().numpy())
    pred = getattr(getattr(scheduler, "config", None), "prediction_type", "epsilon")
    pred = {"epsilon": "eps", "sample": "x0", "v_prediction": "v"}.get(pred, pred)
    cfg = getattr(unet, "config", None)
    if image is None:
        size = getattr(cfg, "sample_size", 32)
        size = (size, size) if isinstance(size, int) else tuple(size)
        image = (size[0], size[1], getattr(cfg, "in_channels", 3))
    return Net(unet, ab, pred, image, device, "diffusers " + spec, call=lambda m, x, t: m(x, t).sample)


def torch_setup(args):
    """Imports PyTorch and sets its CPU threads (--threads); returns it."""
    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    return torch


def load_model(args):
    spec = args.model
    kind, _, rest = spec.partition(":")
    if kind == "numpy-linear":  # no PyTorch
        return NumpyLinear(parse_shape(rest))
    torch = torch_setup(args)
    dev = torch.device(args.device)
    if kind == "mixture":
        return Mixture(rest, dev)
    if kind == "learned":
        return learned_model(rest, dev)
    if kind == "identity":  # x̂0 = x_t: for measuring the protocol's overhead
        image = parse_shape(rest)
        return Net(nets().Identity(), linear_alpha_bars(), "x0", image, dev, "identity %dx%dx%d" % image)
    if kind == "unet":
        image = parse_shape(rest)
        torch.manual_seed(args.seed)
        net = nets().TanhX0(nets().SmallUNet(channels=image[2]))
        return Net(net, linear_alpha_bars(), "x0", image, dev, "random UNet %dx%dx%d seed %d" % (image + (args.seed,)))
    if kind == "diffusers":
        unet, sched = load_factory(rest)()[:2]
        return diffusers_model(unet, sched, dev, parse_shape(args.image, None) if args.image else None, rest)
    got = load_factory(spec)()
    if isinstance(got, dict):
        module, ab, pred, image = got["module"], got["alphas_cumprod"], got.get("prediction", "eps"), got.get("image")
    else:
        module, ab, pred = got[:3]
        image = got[3] if len(got) > 3 else None
    if args.prediction:
        pred = args.prediction
    if image is None:
        image = parse_shape(args.image)
    return Net(module, torch.as_tensor(ab).double().cpu().numpy(), pred, image, dev, spec)


# ---------------------------------------------------------------- protocol


class Conn:
    def __init__(self, rd, wr):
        self.rd, self.wr = rd, wr
        self.wlock = threading.Lock()

    def read_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            b = self.rd.read(n - len(buf))
            if not b:
                return None
            buf += b
        return bytes(buf)

    def read(self):
        pre = self.read_exact(4)
        if pre is None:
            return None, None
        (n,) = struct.unpack("<I", pre)
        if n == 0 or n > MAX_HEADER:
            raise ValueError("header of %d bytes" % n)
        h = json.loads(self.read_exact(n))
        tensors = []
        if h.get("tensors"):
            B, d = h["shape"]
            for _ in range(h["tensors"]):
                b = self.read_exact(4 * B * d)
                if b is None:
                    return None, None
                tensors.append(np.frombuffer(b, dtype="<f4").reshape(B, d))
        return h, tensors

    def send(self, h, *tensors):
        if tensors:
            h["shape"] = list(tensors[0].shape)
            h["tensors"] = len(tensors)
            h["dtype"] = "float32"
        js = json.dumps(h).encode()
        parts = [struct.pack("<I", len(js)), js] + [np.ascontiguousarray(t, dtype="<f4").tobytes() for t in tensors]
        with self.wlock:
            self.wr.write(b"".join(parts))
            self.wr.flush()


class Server:
    def __init__(self, model, conn, args):
        self.m, self.conn, self.args = model, conn, args
        self.points = {}  # linearize id -> (x, x0hat, rows lo, hi) with the graph
        self.cancelled = set()
        self.q = queue.Queue()
        self.batches = 0  # forward passes shared by several requests

    def reader(self):
        try:
            while True:
                h, ts = self.conn.read()
                if h is None:
                    break
                op = h.get("op")
                if op == "cancel":
                    if len(self.cancelled) > 4096:  # cancels of requests already answered
                        self.cancelled.clear()
                    self.cancelled.add(h.get("point"))
                    continue
                self.q.put((h, ts))
        except Exception as e:  # garbage on stdin: nothing sensible to do
            log("bad input:", e)
        self.q.put((None, None))

    def serve(self):
        threading.Thread(target=self.reader, daemon=True).start()
        backlog = []
        while True:
            h, ts = backlog.pop(0) if backlog else self.q.get()
            if h is None or h.get("op") == "shutdown":
                log("shutting down; %d forward passes were shared by several requests" % self.batches)
                return
            rid = h.get("id")
            if rid in self.cancelled:
                self.cancelled.discard(rid)
                continue
            group = [(h, ts)]
            if h.get("op") in ("denoise", "linearize"):
                # Requests of other callers waiting at the same noise level
                # join this one's forward pass, up to max_batch rows.
                rows = len(ts[0])
                while not backlog:
                    try:
                        nh, nts = self.q.get_nowait()
                    except queue.Empty:
                        break
                    if (nh is not None and nh.get("op") == h.get("op") and nh.get("alpha_bar") == h.get("alpha_bar")
                            and rows + len(nts[0]) <= self.args.max_batch and nh.get("id") not in self.cancelled):
                        group.append((nh, nts))
                        rows += len(nts[0])
                    else:
                        backlog.append((nh, nts))
            self.t0 = time.perf_counter()
            try:
                if len(group) > 1:
                    self.batched(group)
                else:
                    self.handle(h, ts)
            except Exception as e:
                # The traceback to stderr (tweedie logs it), the exception to
                # each request of the group.
                ids = ", ".join("%s (%s)" % (gh.get("id"), gh.get("op")) for gh, _ in group)
                log("request %s failed:\n%s" % (ids, traceback.format_exc().rstrip()))
                msg = "%s: %s" % (type(e).__name__, e) if str(e) else type(e).__name__
                for gh, _ in group:
                    self.conn.send({"op": "error", "id": gh.get("id"), "error": msg})

    def batched(self, group):
        """One forward pass for several denoise or linearize requests."""
        self.batches += 1
        op = group[0][0]["op"]
        ab = float(group[0][0]["alpha_bar"])
        x = np.concatenate([ts[0] for _, ts in group])
        if op == "denoise":
            y, point = self.m.denoise(x, ab), None
        else:
            y, point = self.m.linearize(x, ab)
        lo = 0
        for h, ts in group:
            hi = lo + len(ts[0])
            if op == "linearize":
                self.keep(h["id"], (point, lo, hi))
            self.result(h["id"], y[lo:hi])
            lo = hi

    def result(self, rid, *arrays):
        # "seconds": the model's time for the request, for overhead figures.
        self.conn.send({"op": "result", "id": rid, "seconds": time.perf_counter() - self.t0}, *arrays)

    def keep(self, rid, point):
        self.points[rid] = point
        while len(self.points) > self.args.max_points:
            self.points.pop(next(iter(self.points)))

    def handle(self, h, ts):
        op, rid = h.get("op"), h.get("id")
        m = self.m
        if op == "hello":
            H, W, C = m.image
            self.conn.send({"op": "hello", "id": rid, "version": VERSION, "image": [H, W, C],
                            "alpha_bars": [float(a) for a in m.alpha_bars], "prediction": m.prediction,
                            "max_batch": self.args.max_batch, "vjp": True, "model": m.description})
        elif op == "denoise":
            self.result(rid, m.denoise(ts[0], float(h["alpha_bar"])))
        elif op == "linearize":
            y, point = m.linearize(ts[0], float(h["alpha_bar"]))
            self.keep(rid, (point, 0, len(ts[0])))
            self.result(rid, y)
        elif op == "vjp":
            pt = self.points.get(h.get("point"))
            if pt is None:
                self.conn.send({"op": "error", "id": rid, "code": "stale", "error": "no such point"})
                return
            point, lo, hi = pt
            if len(ts[0]) != hi - lo:
                raise ValueError("vjp of %d rows at a point of %d" % (len(ts[0]), hi - lo))
            self.result(rid, m.vjp(point, lo, hi, ts[0]))
        elif op == "denoise_vjp":
            self.result(rid, *m.denoise_vjp(ts[0], float(h["alpha_bar"]), ts[1]))
        elif op == "release":
            self.points.pop(h.get("point"), None)
        else:
            self.conn.send({"op": "error", "id": rid, "error": "unknown op %r" % op})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="mixture:FILE.npz, unet[:HxWxC], learned:FILE.pt, identity[:HxWxC], numpy-linear[:HxWxC], diffusers:FILE.py:FUNC or FILE.py:FUNC")
    ap.add_argument("--train-mnist", metavar="IDX", help="train a UNet on this MNIST train-images-idx3-ubyte(.gz) file instead of serving")
    ap.add_argument("--out", default="mnist_unet.pt", help="where --train-mnist saves the model (serve it with --model learned:FILE)")
    ap.add_argument("--minutes", type=float, default=15, help="training time")
    ap.add_argument("--width", type=int, default=32, help="channels of the trained UNet")
    ap.add_argument("--batch", type=int, default=64, help="training batch")
    ap.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    ap.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:1, mps)")
    ap.add_argument("--image", default="", help="HxWxC, for a model that does not state it")
    ap.add_argument("--prediction", default="", choices=["", "eps", "x0", "v"], help="override the prediction type")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random UNet")
    ap.add_argument("--max-batch", type=int, default=64, help="rows per request")
    ap.add_argument("--max-points", type=int, default=16, help="linearised points kept for VJPs")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = ap.parse_args(argv)
    if args.train_mnist:
        return train_mnist(args)
    if not args.model:
        ap.error("--model is required")
    # The protocol owns stdout: anything else printed goes to stderr.
    wr = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    t0 = time.time()
    try:
        model = load_model(args)
    except Exception as e:
        traceback.print_exc()
        log("cannot load --model %s: %s: %s" % (args.model, type(e).__name__, e))
        sys.exit(1)
    log("%s on %s, loaded in %.1fs" % (model.description, args.device, time.time() - t0))
    Server(model, Conn(sys.stdin.buffer, wr), args).serve()


if __name__ == "__main__":
    main()

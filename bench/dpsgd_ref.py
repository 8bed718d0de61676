#!/usr/bin/python3
"""Reference timings for bench/bench_dpsgd.c: one DP-SGD step of an MLP
128-256-256-2 (tanh, softmax cross-entropy), batch B = 256, sigma = 1, C = 1.

  torch (hooks):  per-example gradients materialised the way Opacus's
                  GradSampleModule does for nn.Linear — forward hooks keep each
                  layer's input A, backward hooks its output gradient G, the
                  per-example weight gradient is einsum("ni,nj->nij", G, A) —
                  then per-example norms, clip factors min(1, C/norm), the
                  clipped sum einsum("n,n...->..."), Gaussian noise sigma*C,
                  division by B (Opacus DPOptimizer.clip_and_accumulate +
                  add_noise).
  torch (prealloc): the same with the per-example gradient buffers allocated
                  once (Opacus allocates them every step; most of that cost
                  on this VM is page faults) — the conservative comparison.
  torch (vmap):   functorch vmap(grad(loss)) per-example gradients, same
                  clip / sum / noise.
  numpy:          the algorithm privaudit uses — norm identity
                  ||g_i||^2 (||a_i||^2 + 1) and the clipped sum G^T diag(c) A,
                  one GEMM per layer (float32; noise float32 ziggurat).

Prints "key: value" lines (medians over --reps runs, milliseconds).
Run with Debian's /usr/bin/python3 (python3-torch, python3-numpy).
"""
import argparse
import copy
import statistics
import sys
import time

import numpy as np

B, D, H, PO = 256, 128, 256, 2
SIGMA, CLIP = 1.0, 1.0


def median_ms(fn, reps, warm=5):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(ts)


def blas_library():
    """Which BLAS numpy has loaded (from /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {l.split()[-1] for l in f if "blas" in l.lower() and "/" in l}
        return ",".join(sorted(libs)) or "?"
    except OSError:
        return "?"


def problem(rng):
    """Weights (nn.Linear default init), inputs and labels shared by all runs."""
    f32 = np.float32
    widths = [D, H, H, PO]
    Ws = [(rng.uniform(-1, 1, (o, i)) / np.sqrt(i)).astype(f32)
          for i, o in zip(widths[:-1], widths[1:])]
    bs = [(rng.uniform(-1, 1, o) / np.sqrt(i)).astype(f32)
          for i, o in zip(widths[:-1], widths[1:])]
    X = rng.uniform(-1, 1, (B, D)).astype(f32)
    y = (rng.uniform(size=B) < 0.5).astype(np.int64)
    return Ws, bs, X, y


def numpy_steps(prob, sigma):
    f32 = np.float32
    Ws, bs, X, y = prob
    gen = np.random.default_rng(1)
    L = len(Ws)

    def forward_backprop():
        A = [X]
        for l in range(L):
            Z = A[-1] @ Ws[l].T + bs[l]
            A.append(np.tanh(Z) if l + 1 < L else Z)
        Z = A[-1]
        Z = Z - Z.max(axis=1, keepdims=True)
        E = np.exp(Z)
        Gl = E / E.sum(axis=1, keepdims=True)
        Gl[np.arange(B), y] -= 1
        G = [None] * L
        G[L - 1] = Gl
        for l in range(L - 1, 0, -1):
            G[l - 1] = (G[l] @ Ws[l]) * (1 - A[l] * A[l])
        return A, G

    def nonprivate():
        A, G = forward_backprop()
        return [(G[l].T @ A[l]) / B for l in range(L)] + [G[l].sum(0) / B for l in range(L)]

    def dp_step():
        A, G = forward_backprop()
        sq = np.zeros(B, dtype=np.float64)
        for l in range(L):
            sq += np.einsum("ij,ij->i", G[l], G[l]) * (np.einsum("ij,ij->i", A[l], A[l]) + 1)
        c = np.minimum(1.0, CLIP / np.sqrt(sq)).astype(f32)
        out = []
        for l in range(L):
            Gc = G[l] * c[:, None]
            gW = Gc.T @ A[l]
            gb = Gc.sum(0)
            if sigma > 0:
                gW += sigma * CLIP * gen.standard_normal(gW.shape, dtype=f32)
                gb += sigma * CLIP * gen.standard_normal(gb.shape, dtype=f32)
            out += [gW / B, gb / B]
        return out

    return dp_step, nonprivate


def torch_steps(prob, sigma):
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    Ws, bs, Xn, yn = prob
    model = nn.Sequential(nn.Linear(D, H), nn.Tanh(), nn.Linear(H, H), nn.Tanh(),
                          nn.Linear(H, PO))
    with torch.no_grad():
        for lin, W, b in zip([m for m in model if isinstance(m, nn.Linear)], Ws, bs):
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
    X = torch.from_numpy(Xn)
    y = torch.from_numpy(yn)
    lossf = nn.CrossEntropyLoss(reduction="sum")
    plain = copy.deepcopy(model)   # no hooks: functorch refuses hook autograd.Functions
    linears = [m for m in model if isinstance(m, nn.Linear)]
    acts, backs = {}, {}
    for lin in linears:
        lin.register_forward_hook(lambda mod, inp, out: acts.__setitem__(mod, inp[0].detach()))
        lin.register_full_backward_hook(
            lambda mod, gin, gout: backs.__setitem__(mod, gout[0].detach()))
    params = list(model.parameters())

    def clip_noise(per_example):  # list of (B, ...) tensors
        norms = torch.stack([g.reshape(B, -1).norm(2, dim=1) for g in per_example], 1).norm(2, 1)
        factor = (CLIP / (norms + 1e-6)).clamp(max=1.0)
        out = []
        for g in per_example:
            s = torch.einsum("n,n...->...", factor, g)
            if sigma > 0:
                s = s + torch.normal(0.0, sigma * CLIP, size=s.shape)
            out.append(s / B)
        return out

    def dp_hooks():
        model.zero_grad(set_to_none=True)
        loss = lossf(model(X), y)
        loss.backward()
        per = []
        for lin in linears:
            G, A = backs[lin], acts[lin]
            per.append(torch.einsum("ni,nj->nij", G, A))   # (B, out, in) materialised
            per.append(G)                                   # bias: (B, out)
        return clip_noise(per)

    wbufs = {lin: torch.empty(B, lin.out_features, lin.in_features) for lin in linears}

    def dp_prealloc():
        # the same, but per-example gradients written into buffers allocated
        # once (Opacus allocates afresh each step; on this VM most of that
        # cost is first-touch page faults of ~100 MB per step)
        model.zero_grad(set_to_none=True)
        loss = lossf(model(X), y)
        loss.backward()
        per = []
        for lin in linears:
            G, A = backs[lin], acts[lin]
            per.append(torch.mul(G[:, :, None], A[:, None, :], out=wbufs[lin]))
            per.append(G)
        return clip_noise(per)

    def nonprivate():
        model.zero_grad(set_to_none=True)
        loss = lossf(model(X), y) / B
        loss.backward()
        return [p.grad for p in params]

    fns = {"torch_dp_step_ms": dp_hooks, "torch_prealloc_dp_step_ms": dp_prealloc,
           "torch_nonprivate_step_ms": nonprivate}
    try:
        try:
            from torch.func import functional_call, grad, vmap
        except ImportError:
            from functorch import grad, vmap
            from torch.nn.utils.stateless import functional_call
        names = [n for n, _ in plain.named_parameters()]
        pdict = {n: p.detach() for n, p in plain.named_parameters()}

        def loss1(pd, x, t):
            out = functional_call(plain, pd, (x.unsqueeze(0),))
            return lossf(out, t.unsqueeze(0))

        per_grad = vmap(grad(loss1), in_dims=(None, 0, 0))

        def dp_vmap():
            g = per_grad(pdict, X, y)
            return clip_noise([g[n] for n in names])

        fns["torch_vmap_dp_step_ms"] = dp_vmap
    except Exception as e:  # report, do not fail the other figures
        print(f"torch_vmap_error: {e!r}")
    return fns


def cross_check(prob):
    """sigma = 0: numpy's norm-identity clipped sum vs torch's materialised one."""
    np_dp, _ = numpy_steps(prob, 0.0)
    a = np_dp()
    worst = 0.0
    for name, fn in torch_steps(prob, 0.0).items():
        if "dp" not in name:
            continue
        b = [t.detach().numpy() for t in fn()]
        # numpy returns [W0, b0, W1, b1, ...]; torch [W0, b0, ...] in the same order
        for u, v in zip(a, b):
            worst = max(worst, float(np.max(np.abs(u - v)) / np.max(np.abs(v))))
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    prob = problem(np.random.default_rng(0))
    np_dp, np_np = numpy_steps(prob, SIGMA)
    ndp, nnp = median_ms(np_dp, a.reps), median_ms(np_np, a.reps)
    print(f"numpy: {np.__version__} BLAS {blas_library()}")
    print(f"numpy_dp_step_ms: {ndp:.4f}")
    print(f"numpy_nonprivate_step_ms: {nnp:.4f}")
    try:
        import torch
        print(f"check_sigma0_numpy_vs_torch_max_rel_diff: {cross_check(prob):.3g}")
        best = {}
        # torch's OpenMP pool and OpenBLAS's own threads oversubscribe 2 cores;
        # measure with 1 and with a.threads intra-op threads and keep the best.
        for th in sorted({1, a.threads}):
            torch.set_num_threads(th)
            res = {k: median_ms(fn, a.reps) for k, fn in torch_steps(prob, SIGMA).items()}
            for k, v in res.items():
                print(f"  torch threads={th} {k}: {v:.4f}")
                if k not in best or v < best[k][0]:
                    best[k] = (v, th)
        print(f"torch: {torch.__version__}")
        for k, (v, th) in best.items():
            print(f"{k}: {v:.4f} (threads={th})")
    except ImportError as e:
        print(f"torch_missing: {e}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

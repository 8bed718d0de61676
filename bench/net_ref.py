#!/usr/bin/python3
"""Reference timings for bench/bench_net.c: one DP-SGD step of the ConvNet of
PSG / dataset condensation (Chen, Kerkouche, Fritz 2022; Zhao et al. 2021) on
28x28 grey images, batch B = 64, sigma = 1, C = 1:

  conv 3x3 (1->128, pad 1) - instance norm (GroupNorm(128, 128)) - ReLU - avgpool 2
  conv 3x3 (128->128)      - instance norm - ReLU - avgpool 2
  conv 3x3 (128->128)      - instance norm - ReLU - avgpool 2
  flatten (128*3*3) - linear 10, softmax cross-entropy

  torch (Opacus-style): per-sample gradients materialised the way Opacus's
      GradSampleModule computes them — forward hooks keep each layer's input,
      backward hooks its output gradient; conv: unfold + einsum("noq,npq->nop"),
      group norm: group_norm(x) * grad summed over pixels, linear:
      einsum("n...i,n...j->nij") — then per-sample norms, clip factors
      C / (norm + 1e-6) clamped at 1, clipped sum einsum("i,i..."), Gaussian noise
      sigma*C, division by B (Opacus DPOptimizer.clip_and_accumulate + add_noise).
  torch (vmap): functorch vmap(grad(loss)) per-sample gradients, same clip /
      sum / noise.
  torch (non-private): forward, loss, backward of the mean loss.

--model dcgan: GS-WGAN's discriminator (conv 5x5 stride 2: 1->64->128->256,
LeakyReLU 0.2, 28->14->7->4) with a 10-way linear head.

Kernels (a note on fairness, 2026-12-02): torch's convolutions run oneDNN's own
JIT kernels, AVX-512 where the CPU has it (DNNL_VERBOSE=1 shows jit:avx512_core
on the AMD EPYC bench machine), whatever OPENBLAS_CORETYPE says; its einsums and
privaudit's GEMMs run the OpenBLAS kernels OPENBLAS_CORETYPE names. With
OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU the non-private convolutions thus
favour torch (sgemm 120 against 237 GFLOP/s with SkylakeX, 2048^3, 1 thread).

Prints "key: value" lines (medians over --reps runs, milliseconds).
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import copy
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

B, HW, WIDTH, NCLS = 64, 28, 128, 10
SIGMA, CLIP = 1.0, 1.0


def median_ms(fn, reps, warm=2):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(ts)


def dcgan():
    """GS-WGAN's discriminator body (Chen et al. 2020, DiscriminatorDCGAN, model_dim 64),
    here with a 10-way head for a DP-SGD classification step."""
    layers, c = [], 1
    for o in (64, 128, 256):
        layers += [nn.Conv2d(c, o, 5, stride=2, padding=2), nn.LeakyReLU(0.2)]
        c = o
    layers += [nn.Flatten(), nn.Linear(256 * 4 * 4, NCLS)]
    return nn.Sequential(*layers)


def convnet():
    layers, c, hw = [], 1, HW
    for _ in range(3):
        layers += [nn.Conv2d(c, WIDTH, 3, padding=1), nn.GroupNorm(WIDTH, WIDTH, affine=True),
                   nn.ReLU(), nn.AvgPool2d(2, 2)]
        c, hw = WIDTH, hw // 2
    layers += [nn.Flatten(), nn.Linear(WIDTH * hw * hw, NCLS)]
    return nn.Sequential(*layers)


def steps(reps, arch):
    torch.manual_seed(0)
    model = convnet() if arch == "psg" else dcgan()
    plain = copy.deepcopy(model)
    X = torch.rand(B, 1, HW, HW)
    y = torch.randint(0, NCLS, (B,))
    lossf = nn.CrossEntropyLoss(reduction="sum")
    traced = [m for m in model if isinstance(m, (nn.Conv2d, nn.GroupNorm, nn.Linear))]
    acts, backs = {}, {}
    for mod in traced:
        mod.register_forward_hook(lambda m, i, o: acts.__setitem__(m, i[0].detach()))
        mod.register_full_backward_hook(lambda m, gi, go: backs.__setitem__(m, go[0].detach()))

    def per_sample(mod):
        A, G = acts[mod], backs[mod]
        n = A.shape[0]
        if isinstance(mod, nn.Conv2d):
            U = F.unfold(A, mod.kernel_size, padding=mod.padding, stride=mod.stride)  # (n, p, q)
            Gr = G.reshape(n, -1, U.shape[-1])                                        # (n, o, q)
            gw = torch.einsum("noq,npq->nop", Gr, U).reshape(n, *mod.weight.shape)
            return [gw, G.sum(dim=(2, 3))]
        if isinstance(mod, nn.GroupNorm):
            gs = F.group_norm(A, mod.num_groups, eps=mod.eps) * G
            return [gs.sum(dim=(2, 3)), G.sum(dim=(2, 3))]
        return [torch.einsum("n...i,n...j->nij", G, A), G]

    def clip_noise(per):
        norms = torch.stack([g.reshape(len(g), -1).norm(2, dim=-1) for g in per], dim=1).norm(2, dim=1)
        factor = (CLIP / (norms + 1e-6)).clamp(max=1.0)
        out = []
        for g in per:
            s = torch.einsum("i,i...", factor, g)
            s = s + torch.normal(0.0, SIGMA * CLIP, size=s.shape)
            out.append(s / B)
        return out

    def dp_hooks():
        model.zero_grad(set_to_none=True)
        lossf(model(X), y).backward()
        per = []
        for mod in traced:
            per += per_sample(mod)
        return clip_noise(per)

    def nonprivate():
        plain.zero_grad(set_to_none=True)
        (lossf(plain(X), y) / B).backward()
        return [p.grad for p in plain.parameters()]

    fns = {"torch_dp_step_ms": dp_hooks, "torch_nonprivate_step_ms": nonprivate}
    try:
        from torch.func import functional_call, grad, vmap
    except ImportError:
        try:
            from functorch import grad, vmap
            from torch.nn.utils.stateless import functional_call
        except ImportError:
            vmap = None
    if vmap is not None:
        names = [n for n, _ in plain.named_parameters()]
        pdict = {n: p.detach() for n, p in plain.named_parameters()}

        def loss1(pd, x, t):
            return lossf(functional_call(plain, pd, (x.unsqueeze(0),)), t.unsqueeze(0))

        per_grad = vmap(grad(loss1), in_dims=(None, 0, 0))

        def dp_vmap():
            g = per_grad(pdict, X, y)
            return clip_noise([g[n] for n in names])

        fns["torch_vmap_dp_step_ms"] = dp_vmap
    out = {}
    for k, fn in fns.items():
        try:
            out[k] = median_ms(fn, reps)
        except Exception as e:  # report, do not fail the other figures
            print(f"{k}_error: {e!r}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", choices=["psg", "dcgan"], default="psg")
    a = ap.parse_args()
    print(f"torch: {torch.__version__}")
    best = {}
    for th in sorted({1, a.threads}):
        torch.set_num_threads(th)
        for k, v in steps(a.reps, a.model).items():
            print(f"  torch threads={th} {k}: {v:.3f}")
            if k not in best or v < best[k][0]:
                best[k] = (v, th)
    for k, (v, th) in best.items():
        print(f"{k}: {v:.3f} (threads={th})")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Reference values for tests/test_net.c (torch_reference_*): a small conv net
in PyTorch (float64), with parameters and inputs given by closed formulas in
privaudit's channels-last layout and permuted to PyTorch's.

  input 5x5x2 -> conv 3x3 pad 1 (3) -> GroupNorm(3, 3) (instance norm) -> tanh
  -> ConvTranspose2d k3 s2 p1 out_pad 1 (2) -> sigmoid -> avgpool 2
  -> flatten (channels-last order) -> linear 3, cross-entropy (sum), B = 3

Prints C initialisers: the logits, the summed loss, the gradient in
privaudit's parameter layout, the per-example squared gradient norms, the
WGAN-GP penalty R = sum_i (||dD/dx_i|| - 1)^2 (D = sum of the logits) and the
first 16 entries of its gradient in theta (double backprop, create_graph),
and the gradient-matching loss phi = 1/2 ||grad_theta L - g0||^2 with its
gradient in the input (first 16, channels-last).
"""
import math

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
B, H, W, C = 3, 5, 5, 2
Y = [0, 2, 1]


def theta_formula(P):
    return torch.tensor([0.3 * math.sin(0.37 * k + 0.1) for k in range(P)])


# parameter blocks in privaudit's layout (channels-last)
shapes = [
    ("conv_w", (3, 3, 3, 2)), ("conv_b", (3,)),
    ("gn_g", (3,)), ("gn_b", (3,)),
    ("convt_w", (3, 3, 3, 2)), ("convt_b", (2,)),
    ("lin_w", (3, 5 * 5 * 2)), ("lin_b", (3,)),
]
P = sum(math.prod(s) for _, s in shapes)


def unpack(theta):
    out, o = {}, 0
    for name, s in shapes:
        n = math.prod(s)
        out[name] = theta[o:o + n].reshape(s)
        o += n
    return out


def forward(theta, x_nhwc):
    p = unpack(theta)
    x = x_nhwc.reshape(-1, H, W, C).permute(0, 3, 1, 2)
    x = F.conv2d(x, p["conv_w"].permute(0, 3, 1, 2), p["conv_b"], padding=1)
    x = F.group_norm(x, 3, 1.0 + p["gn_g"], p["gn_b"], eps=1e-5)
    x = torch.tanh(x)
    x = F.conv_transpose2d(x, p["convt_w"].permute(0, 3, 1, 2), p["convt_b"], stride=2, padding=1,
                           output_padding=1)
    x = torch.sigmoid(x)
    x = F.avg_pool2d(x, 2, 2)
    x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
    return F.linear(x, p["lin_w"], p["lin_b"])


def cinit(name, t):
    v = [f"{float(a):.17g}" for a in t.flatten()]
    lines = [", ".join(v[k:k + 4]) for k in range(0, len(v), 4)]
    return f"static const double {name}[{len(v)}] = {{\n    " + ",\n    ".join(lines) + "};"


def main():
    theta = theta_formula(P)
    # γ is stored as 1 + the formula's value in the test (see forward)
    x = torch.tensor([math.cos(0.23 * k) for k in range(B * H * W * C)]).reshape(B, -1)
    y = torch.tensor(Y)
    th = theta.clone().requires_grad_(True)
    logits = forward(th, x)
    loss = F.cross_entropy(logits, y, reduction="sum")
    (g,) = torch.autograd.grad(loss, th)
    sq = []
    for i in range(B):
        li = F.cross_entropy(forward(th, x[i:i + 1]), y[i:i + 1], reduction="sum")
        (gi,) = torch.autograd.grad(li, th)
        sq.append(float(gi @ gi))
    # WGAN-GP penalty gradient in theta
    xr = x.clone().requires_grad_(True)
    D = forward(th, xr).sum()
    (u,) = torch.autograd.grad(D, xr, create_graph=True)
    R = ((u.norm(dim=1) - 1) ** 2).sum()
    (gR,) = torch.autograd.grad(R, th)
    # gradient matching: phi(S) = 1/2 ||grad_theta L(S) - g0||^2, g0_k = 0.05 cos(0.11 k)
    g0 = torch.tensor([0.05 * math.cos(0.11 * k) for k in range(P)])
    S = x.clone().requires_grad_(True)
    LS = F.cross_entropy(forward(th, S), y, reduction="sum")
    (gS,) = torch.autograd.grad(LS, th, create_graph=True)
    phi = 0.5 * ((gS - g0) ** 2).sum()
    (dS,) = torch.autograd.grad(phi, S)
    print(f"/* tests/ref/net_torch.py, PyTorch {torch.__version__}, float64; P = {P} */")
    print(cinit("torch_logits", logits.detach()))
    print(f"static const double torch_loss = {float(loss):.17g};")
    print(cinit("torch_grad", g))
    print(cinit("torch_sqnorm", torch.tensor(sq)))
    print(f"static const double torch_penalty = {float(R):.17g};")
    print(cinit("torch_penalty_grad16", gR[:16]))
    print(f"static const double torch_penalty_grad_norm = {float(gR.norm()):.17g};")
    print(f"static const double torch_phi = {float(phi):.17g};")
    print(cinit("torch_phi_dS16", dS.flatten()[:16]))
    print(f"static const double torch_phi_dS_norm = {float(dS.norm()):.17g};")


if __name__ == "__main__":
    main()

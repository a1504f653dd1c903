"""Random programs run in nnlite and PyTorch side by side: same values, same gradients.

Each program starts from a few float64 leaves and applies a random chain of ops (chosen among
those valid for the current shape); the result is reduced to a scalar and differentiated.
"""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def _unary_ops():
    return [
        ("exp", lambda T, x: (x * 0.3).exp()),
        ("tanh", lambda T, x: x.tanh()),
        ("sigmoid", lambda T, x: T.sigmoid(x)),
        ("relu", lambda T, x: x.relu()),
        ("square", lambda T, x: x * x),
        ("abs_log", lambda T, x: (x.abs() + 1).log()),
        ("sqrt", lambda T, x: (x * x + 1).sqrt()),
        ("clamp", lambda T, x: x.clamp(-1.0, 1.0)),
        ("neg_scale", lambda T, x: -2.5 * x + 1),
        ("div_scalar", lambda T, x: x / 3.0),
        ("pow", lambda T, x: (x.abs() + 0.5) ** 1.7),
        ("sin", lambda T, x: x.sin()),
        ("softmax_last", lambda T, x: x.softmax(-1)),
        ("log_softmax_0", lambda T, x: x.log_softmax(0)),
        ("cumsum", lambda T, x: x.cumsum(-1)),
        ("flip", lambda T, x: x.flip(0)),
        ("transpose", lambda T, x: x.transpose(0, -1)),
        ("unsqueeze_expand", lambda T, x: x.unsqueeze(0).expand(2, *x.shape)),
        ("flatten", lambda T, x: x.flatten()),
        ("getitem", lambda T, x: x[::2] if x.shape[0] > 1 else x),
        ("mask", lambda T, x: x.masked_fill(x > 0.8, 0.0)),
        ("where", lambda T, x: T.where(x > 0, x, x * 0.1)),
        ("sum_keep", lambda T, x: x.sum(-1, keepdim=True) + x),
        ("mean_bcast", lambda T, x: x - x.mean(0)),
        ("var_norm", lambda T, x: (x - x.mean(-1, keepdim=True)) / (x.var(-1, keepdim=True) + 1).sqrt()),
        ("amax", lambda T, x: x - x.amax(-1, keepdim=True)),
        ("logsumexp", lambda T, x: x.logsumexp(-1, keepdim=True) * x),
        ("cat_self", lambda T, x: T.cat([x, x * 2], 0)),
        ("stack_self", lambda T, x: T.stack([x, x.sin()], -1)),
        ("matmul_self_t", lambda T, x: x @ x.transpose(-1, -2) if x.dim() >= 2 else x * x),
        ("reshape_rev", lambda T, x: x.reshape(tuple(reversed(x.shape)))),
    ]


def _binary_ops():
    return [
        ("add", lambda T, x, y: x + y),
        ("mul", lambda T, x, y: x * y),
        ("sub", lambda T, x, y: x - y),
        ("div", lambda T, x, y: x / (y * y + 1)),
        ("maximum", lambda T, x, y: T.maximum(x, y)),
        ("minimum", lambda T, x, y: T.minimum(x, y)),
    ]


def _run(T, leaves_np, program):
    leaves = [T.tensor(a, requires_grad=True) for a in leaves_np]
    vals = list(leaves)
    for kind, idx, fn in program:
        if kind == "u":
            vals.append(fn(T, vals[idx[0]]))
        else:
            vals.append(fn(T, vals[idx[0]], vals[idx[1]]))
    out = vals[-1]
    loss = (out * out).sum() + out.sum()
    grads = T.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
    gsum = sum((g * g).sum() for g in grads if g is not None)
    return loss, grads, gsum, leaves


def _make_program(rng, n_ops):
    shape = tuple(int(s) for s in rng.integers(2, 5, size=rng.integers(1, 4)))
    leaves = [rng.standard_normal(shape) for _ in range(2)]
    shapes = [shape, shape]
    program = []
    unary, binary = _unary_ops(), _binary_ops()
    for _ in range(n_ops):
        if rng.random() < 0.3:
            # a binary op on two values of the same shape
            cands = [(i, j) for i in range(len(shapes)) for j in range(len(shapes))
                     if shapes[i] == shapes[j]]
            i, j = cands[rng.integers(len(cands))]
            name, fn = binary[rng.integers(len(binary))]
            program.append(("b", (i, j), fn))
            shapes.append(shapes[i])
        else:
            i = int(rng.integers(len(shapes)))
            name, fn = unary[rng.integers(len(unary))]
            # shape tracking through torch itself (cheap: tiny arrays)
            probe = fn(torch, torch.zeros(shapes[i], dtype=torch.float64))
            if probe.numel() > 400:
                continue
            program.append(("u", (i,), fn))
            shapes.append(tuple(probe.shape))
    return leaves, program


@pytest.mark.parametrize("seed", range(40))
def test_random_program_matches_torch(seed):
    rng = np.random.default_rng(seed)
    leaves, program = _make_program(rng, n_ops=int(rng.integers(3, 9)))
    tl, tg, tgs, tleaves = _run(torch, leaves, program)
    nl, ng, ngs, nleaves = _run(nnlite, leaves, program)
    np.testing.assert_allclose(nl.item(), tl.item(), rtol=1e-9, atol=1e-9)
    for a, b in zip(tg, ng):
        if a is None:
            assert b is None or np.allclose(b.detach().numpy(), 0)
            continue
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-8, atol=1e-9)
    if isinstance(tgs, torch.Tensor) and tgs.requires_grad:
        t2 = torch.autograd.grad(tgs, tleaves, allow_unused=True)
        n2 = nnlite.autograd.grad(ngs, nleaves, allow_unused=True)
        for a, b in zip(t2, n2):
            if a is None:
                continue
            bb = np.zeros(a.shape) if b is None else b.numpy()
            np.testing.assert_allclose(bb, a.numpy(), rtol=1e-7, atol=1e-8)

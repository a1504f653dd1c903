"""The graph a program can walk (``grad_fn.next_functions[...]`` chains), the reflected scalar
ops' edges, indexing with ``range`` and the tensor flags/class path, compared with PyTorch."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")


def chain(fn, depth=5):
    """``Name(child, ...)`` for the graph below ``fn``; leaves print as ``AccumulateGrad()``."""
    if fn is None:
        return "None"
    if depth == 0:
        return type(fn).__name__
    kids = ",".join(chain(c, depth - 1) for c, _ in fn.next_functions)
    return f"{type(fn).__name__}({kids})"


def test_chain_tells_graphs_apart():
    a = nnlite.ones(2, requires_grad=True)
    assert chain((a * 2).grad_fn) == "MulBackward0(AccumulateGrad(),None)"
    assert chain((a * 2).grad_fn) != chain((a + 2).grad_fn)
    assert chain((a * 2).exp().grad_fn) != chain((a * 2).grad_fn)


def _mods():
    return (torch, nnlite)


GRAPHS = {
    "linear": lambda m, x, b: m.nn.Linear(3, 2)(x),
    "linear_no_bias": lambda m, x, b: m.nn.Linear(3, 2, bias=False)(x),
    "linear_3d": lambda m, x, b: m.nn.Linear(3, 2)(x.view(2, 2, 3)),
    "linear_3d_no_bias": lambda m, x, b: m.nn.Linear(3, 2, bias=False)(x.view(2, 2, 3)),
    "linear_1d": lambda m, x, b: m.nn.Linear(3, 2)(b),
    "linear_1d_no_bias": lambda m, x, b: m.nn.Linear(3, 2, bias=False)(b),
    "linear_frozen_weight": lambda m, x, b: m.nn.Linear(3, 2).requires_grad_(False)(x),
    "linear_const_input": lambda m, x, b: m.nn.Linear(3, 2)(x.detach()),
    "F.linear": lambda m, x, b: m.nn.functional.linear(x, x[:2] * 1, b[:2] * 1),
    "mlp": lambda m, x, b: m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(),
                                           m.nn.Linear(4, 2))(x),
    "matmul_2d": lambda m, x, b: x @ x.t(),
    "matmul_mv": lambda m, x, b: x @ b,
    "matmul_dot": lambda m, x, b: b @ b,
    "transpose": lambda m, x, b: x.transpose(0, 1),
    "T": lambda m, x, b: x.T,
    "permute": lambda m, x, b: x.permute(1, 0),
    "view": lambda m, x, b: x.view(12),
    "reshape": lambda m, x, b: x.reshape(12),
    "flatten": lambda m, x, b: x.flatten(),
    "unsqueeze": lambda m, x, b: x.unsqueeze(0),
    "expand": lambda m, x, b: b.expand(2, 3),
    "select": lambda m, x, b: x[0],
    "slice": lambda m, x, b: x[1:],
    "rmul": lambda m, x, b: 2 * b,
    "radd": lambda m, x, b: 2 + b,
    "rsub": lambda m, x, b: 2 - b,
    "rdiv": lambda m, x, b: 2 / b,
    "rpow": lambda m, x, b: 2 ** b,
    "rmul_float": lambda m, x, b: 0.5 * b * 3,
    "mse": lambda m, x, b: m.nn.functional.mse_loss(m.nn.Linear(3, 1)(x), x[:, :1].detach()),
    "mse_sum": lambda m, x, b: m.nn.functional.mse_loss(x, x.detach() * 2, reduction="sum"),
    "cross_entropy": lambda m, x, b: m.nn.functional.cross_entropy(x, m.tensor([0, 2, 1, 0])),
    "cross_entropy_sum": lambda m, x, b: m.nn.functional.cross_entropy(
        x, m.tensor([0, 2, 1, 0]), reduction="sum"),
    "cross_entropy_none": lambda m, x, b: m.nn.functional.cross_entropy(
        x, m.tensor([0, 2, 1, 0]), reduction="none"),
    "cross_entropy_weight": lambda m, x, b: m.nn.functional.cross_entropy(
        x, m.tensor([0, 2, 1, 0]), weight=m.ones(3)),
    "CrossEntropyLoss_linear": lambda m, x, b: m.nn.CrossEntropyLoss()(
        m.nn.Linear(3, 3)(x), m.tensor([0, 2, 1, 0])),
    "log_softmax_nll": lambda m, x, b: m.nn.functional.nll_loss(
        m.nn.functional.log_softmax(x, 1), m.tensor([0, 2, 1, 0])),
    "nll": lambda m, x, b: m.nn.functional.nll_loss(x, m.tensor([0, 2, 1, 0])),
    "NLLLoss_sum": lambda m, x, b: m.nn.NLLLoss(reduction="sum")(x.log_softmax(-1),
                                                                  m.tensor([0, 2, 1, 0])),
    "bce_with_logits_name": lambda m, x, b: type(
        m.nn.functional.binary_cross_entropy_with_logits(x, x.detach().sigmoid()).grad_fn),
    "sort": lambda m, x, b: x.sort(1).values,
    "topk": lambda m, x, b: x.topk(2, 1).values,
    "kthvalue": lambda m, x, b: x.kthvalue(2, 1).values,
    "median_dim": lambda m, x, b: x.median(0).values,
    "median": lambda m, x, b: x.median(),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph_walk_matches_torch(name):
    shown = {}
    for m in _mods():
        m.manual_seed(0)
        x = m.randn(4, 3, requires_grad=True)
        b = m.randn(3, requires_grad=True)
        r = GRAPHS[name](m, x, b)
        shown[m] = r.__name__ if isinstance(r, type) else chain(r.grad_fn)
    assert shown[nnlite] == shown[torch]


@pytest.mark.parametrize("name", ["linear", "linear_no_bias", "linear_3d", "linear_3d_no_bias",
                                  "linear_1d", "linear_1d_no_bias", "linear_frozen_weight",
                                  "linear_const_input", "mlp", "F.linear"])
def test_linear_gradients_through_the_light_nodes_match_torch(name):
    out = {}
    for m in _mods():
        m.manual_seed(0)
        x = m.randn(4, 3, dtype=m.float64, requires_grad=True)
        b = m.randn(3, dtype=m.float64, requires_grad=True)
        m.set_default_dtype(m.float64)
        try:
            y = GRAPHS[name](m, x, b)
        finally:
            m.set_default_dtype(m.float32)
        (y * y).sum().backward()
        out[m] = [None if t.grad is None else t.grad.numpy() for t in (x, b)]
    for a, c in zip(out[nnlite], out[torch]):
        assert (a is None) == (c is None)
        if a is not None:
            np.testing.assert_allclose(a, c, rtol=1e-12)


def test_linear_double_backward_and_weight_grad_is_contiguous():
    out = {}
    for m in _mods():
        m.manual_seed(0)
        lin = m.nn.Linear(3, 2).double()
        x = m.randn(5, 3, dtype=m.float64, requires_grad=True)
        (gx,) = m.autograd.grad((lin(x) ** 2).sum(), x, create_graph=True)
        (gx * gx).sum().backward()
        out[m] = (gx.detach().numpy(), lin.weight.grad.numpy(), lin.bias.grad.numpy(),
                  x.grad.numpy())
    for a, c in zip(out[nnlite], out[torch]):
        np.testing.assert_allclose(a, c, rtol=1e-12)
    lin = nnlite.nn.Linear(3, 2)
    lin(nnlite.randn(4, 3)).sum().backward()
    assert lin.weight.grad._data.flags.c_contiguous


def test_range_index_as_torch():
    out = {}
    for m in _mods():
        m.manual_seed(0)
        x = m.randn(4, 3, requires_grad=True)
        y = m.tensor([0, 2, 1, 0])
        picked = x[range(4), y]
        picked.sum().backward()
        z = m.zeros(3, 2)
        z[range(2), 0] = 5.0
        out[m] = (picked.detach().numpy(), x.grad.numpy(), x[range(1, 3)].detach().numpy(),
                  z.numpy(), type(picked.grad_fn).__name__)
    for a, c in zip(out[nnlite], out[torch]):
        if isinstance(a, str):
            assert a == c
        else:
            np.testing.assert_array_equal(a, c)


def test_tensor_flags_and_class_path_as_torch():
    for flag in ("is_cpu", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_sparse_csr",
                 "is_quantized", "is_mkldnn", "is_vulkan", "is_ipu", "is_mtia", "is_maia",
                 "is_nested", "is_cuda"):
        assert getattr(nnlite.ones(2), flag) == getattr(torch.ones(2), flag), flag
    assert nnlite.ones(2).is_inference() is torch.ones(2).is_inference()
    assert str(type(nnlite.ones(2))) == str(type(torch.ones(2))).replace("torch", "nnlite")
    assert str(type(nnlite.ones(2).shape)) == "<class 'nnlite.Size'>"
    p = nnlite.nn.Parameter(nnlite.ones(2))
    assert str(type(p)) == str(type(torch.nn.Parameter(torch.ones(2)))).replace("torch", "nnlite")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_and_cross_entropy_gradients_through_their_nodes(reduction, weighted):
    """The two-node cross-entropy and the one-node nll_loss give torch's first and second
    derivatives (float64, an ignored row included)."""
    out = {}
    for m in _mods():
        m.manual_seed(0)
        x = m.randn(5, 4, dtype=m.float64, requires_grad=True)
        y = m.tensor([0, 3, -100, 1, 3])
        w = m.tensor([1.0, 2.0, 0.5, 3.0], dtype=m.float64) if weighted else None
        F = m.nn.functional
        losses = [F.cross_entropy(x * x, y, weight=w, reduction=reduction),
                  F.nll_loss(F.log_softmax(x * x, 1), y, weight=w, reduction=reduction)]
        res = []
        for loss in losses:
            (g,) = m.autograd.grad((loss * loss).sum(), x, create_graph=True)
            (gg,) = m.autograd.grad((g * g).sum(), x)
            res += [loss.detach().numpy(), g.detach().numpy(), gg.numpy()]
        out[m] = res
    for a, c in zip(out[nnlite], out[torch], strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-12)

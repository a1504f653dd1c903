"""Hypothesis-drawn shapes: broadcasting binary ops and reductions, gradients vs closed forms."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlite as torch

dims = st.integers(min_value=1, max_value=4)
shapes = st.lists(dims, min_size=0, max_size=3).map(tuple)


@st.composite
def broadcastable_pair(draw):
    a = draw(shapes)
    # b: a suffix of a with some dims set to 1
    k = draw(st.integers(min_value=0, max_value=len(a)))
    b = tuple(1 if draw(st.booleans()) else s for s in a[len(a) - k:])
    if draw(st.booleans()):
        a, b = b, a
    return a, b


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div"]), st.integers(0, 10**6))
def test_broadcast_binary_grads_reduce_to_input_shapes(pair, op, seed):
    sa, sb = pair
    rng = np.random.default_rng(seed)
    a_np, b_np = np.asarray(rng.standard_normal(sa)), np.asarray(rng.standard_normal(sb) + 3.0)
    a = torch.tensor(a_np, requires_grad=True)
    b = torch.tensor(b_np, requires_grad=True)
    out = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op]
    ref = {"add": a_np + b_np, "sub": a_np - b_np, "mul": a_np * b_np, "div": a_np / b_np}[op]
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    out.sum().backward()
    shape = np.broadcast_shapes(sa, sb)
    ones = np.ones(shape)
    ga = {"add": ones, "sub": ones, "mul": ones * b_np, "div": ones / b_np}[op]
    gb = {"add": ones, "sub": -ones, "mul": ones * a_np, "div": -a_np / b_np**2 * ones}[op]

    def reduce(g, s):
        while g.ndim > len(s):
            g = g.sum(0)
        for i, n in enumerate(s):
            if n == 1 and g.shape[i] != 1:
                g = g.sum(i, keepdims=True)
        return g

    assert a.grad.shape == sa and b.grad.shape == sb
    np.testing.assert_allclose(a.grad.numpy(), reduce(ga, sa), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), reduce(gb, sb), rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(dims, min_size=1, max_size=3).map(tuple), st.data())
def test_reductions_over_drawn_dims(shape, data):
    dim = data.draw(st.integers(min_value=-len(shape), max_value=len(shape) - 1))
    keep = data.draw(st.booleans())
    rng = np.random.default_rng(0)
    x_np = np.asarray(rng.standard_normal(shape))
    x = torch.tensor(x_np, requires_grad=True)
    s = x.sum(dim, keepdim=keep)
    m = x.mean(dim, keepdim=keep)
    np.testing.assert_allclose(s.detach().numpy(), x_np.sum(dim, keepdims=keep))
    np.testing.assert_allclose(m.detach().numpy(), x_np.mean(dim, keepdims=keep))
    (s.sum() + 2 * m.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(shape) * (1 + 2 / shape[dim]))

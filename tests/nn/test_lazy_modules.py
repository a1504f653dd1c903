"""Lazy modules against PyTorch: materialized at the first call with torch's seeded init,
class switch, placeholders in state_dict, load_state_dict materializing them, an optimizer
built before the first call, dtype conversion before it, errors."""

import numpy as np
import pytest

import nnlite

torch = pytest.importorskip("torch")

LAYERS = {
    "LazyLinear": (lambda T: T.nn.LazyLinear(3), (2, 4, 5)),
    "LazyConv1d": (lambda T: T.nn.LazyConv1d(4, 3, padding=1), (2, 3, 6)),
    "LazyConv2d": (lambda T: T.nn.LazyConv2d(4, 2, groups=2), (2, 6, 4, 5)),
    "LazyConv3d": (lambda T: T.nn.LazyConv3d(2, 2, bias=False), (1, 3, 3, 3, 4)),
    "LazyConv2d#unbatched": (lambda T: T.nn.LazyConv2d(2, 2), (3, 4, 4)),
    "LazyConvTranspose2d": (lambda T: T.nn.LazyConvTranspose2d(4, 3, stride=2), (2, 3, 3, 3)),
    "LazyBatchNorm1d": (lambda T: T.nn.LazyBatchNorm1d(momentum=0.3), (6, 4)),
    "LazyBatchNorm2d": (lambda T: T.nn.LazyBatchNorm2d(), (2, 3, 4, 4)),
    "LazyBatchNorm3d": (lambda T: T.nn.LazyBatchNorm3d(affine=False), (2, 3, 2, 3, 2)),
    "LazyInstanceNorm1d": (lambda T: T.nn.LazyInstanceNorm1d(), (2, 3, 5)),
}


def _trace(T, name):
    make, shape = LAYERS[name]
    T.manual_seed(1)
    m = make(T)
    before = (type(m).__name__, repr(m), m.has_uninitialized_params(),
              {k: type(v).__name__ for k, v in m.state_dict().items()})
    params = list(m.parameters())
    opt = T.optim.SGD(params, lr=0.1, momentum=0.9) if params else None
    x = T.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    y = m(x)
    if opt is not None:
        (y * y).sum().backward()
        opt.step()
    after = (type(m).__name__, repr(m), m.has_uninitialized_params()
             if hasattr(m, "has_uninitialized_params") else None,
             {k: (type(v).__name__, v.detach().numpy().copy()) for k, v in m.state_dict().items()})
    return before, after, y.detach().numpy()


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_lazy_layer_matches_torch(name):
    a, b = _trace(torch, name), _trace(nnlite, name)
    assert a[0] == b[0]
    assert a[1][:3] == b[1][:3]
    assert a[1][3].keys() == b[1][3].keys()
    for k in a[1][3]:
        assert a[1][3][k][0] == b[1][3][k][0]
        np.testing.assert_allclose(a[1][3][k][1], b[1][3][k][1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a[2], b[2], rtol=1e-5, atol=1e-6)


def test_load_state_dict_materializes_and_the_first_call_switches_class():
    src = nnlite.nn.Linear(5, 3)
    m = nnlite.nn.LazyLinear(3)
    m.load_state_dict(src.state_dict())
    assert type(m).__name__ == "LazyLinear" and type(m.weight).__name__ == "Parameter"
    np.testing.assert_array_equal(m.weight.detach().numpy(), src.weight.detach().numpy())
    out = m(nnlite.ones(2, 5))
    assert type(m) is nnlite.nn.Linear
    np.testing.assert_allclose(out.detach().numpy(), src(nnlite.ones(2, 5)).detach().numpy())
    # a lazy checkpoint loads into a lazy module (nothing to copy, nothing missing)
    nnlite.nn.LazyLinear(3).load_state_dict(nnlite.nn.LazyLinear(3).state_dict())
    with pytest.raises(RuntimeError, match="Missing key"):
        nnlite.nn.LazyLinear(3).load_state_dict({"weight": src.weight.detach()})


def test_dtype_before_first_call_and_errors_match_torch():
    for T in (torch, nnlite):
        m = T.nn.LazyLinear(2).double()
        assert m(T.ones(1, 3, dtype=T.float64)).dtype == T.float64
        assert m.weight.dtype == T.float64
    caught = []
    for T in (torch, nnlite):
        msgs = []
        for f in (lambda: T.nn.LazyConv2d(4, 3)(T.zeros(3, 4)),
                  lambda: T.nn.LazyLinear(3).weight.shape,
                  lambda: T.nn.Linear(2, 3).load_state_dict(T.nn.LazyLinear(3).state_dict())):
            with pytest.raises(Exception) as e:
                f()
            msgs.append((type(e.value), str(e.value)))
        caught.append(msgs)
    assert caught[0] == caught[1]


def test_placeholder_materialize_keeps_identity():
    p = nnlite.nn.parameter.UninitializedParameter()
    q = p
    p.materialize((2, 3))
    assert q is p and type(p) is nnlite.nn.Parameter and p.shape == (2, 3) and p.requires_grad
    assert nnlite.nn.parameter.is_lazy(nnlite.nn.UninitializedBuffer())


def test_computing_with_a_placeholder_raises_torchs_value_error():
    for T in (torch, nnlite):
        w = T.nn.LazyLinear(3).weight
        for f in (lambda: w + 1, lambda: w.sum(), lambda: w.numel()):
            with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
                f()

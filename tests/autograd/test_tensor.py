"""Tensor basics: construction, dtype rules (as PyTorch), factories, conversions, repr."""

import numpy as np
import pytest

import nnlite as torch


def test_default_dtypes():
    assert torch.tensor([1.0, 2.0]).dtype == torch.float32
    assert torch.tensor([1, 2]).dtype == torch.int64
    assert torch.tensor([True]).dtype == torch.bool
    assert torch.tensor(np.zeros(2)).dtype == torch.float64
    assert torch.tensor(np.zeros(2, np.float32)).dtype == torch.float32
    assert torch.tensor(2.5).dim() == 0


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: torch.ones(2) * 2.5, "float32"),
        (lambda: torch.ones(2, dtype=torch.float64) + 1.0, "float64"),
        (lambda: torch.tensor([1, 2]) * 1.5, "float32"),
        (lambda: torch.tensor([1, 2]) + 1, "int64"),
        (lambda: torch.tensor([1, 2]) / 2, "float32"),
        (lambda: torch.tensor([1, 2]) + torch.ones(2), "float32"),
        (lambda: torch.ones(2) + torch.ones(2, dtype=torch.float64), "float64"),
        (lambda: torch.ones(2) * torch.tensor(2.0, dtype=torch.float64), "float32"),
        (lambda: torch.tensor([True, False]) + 1, "int64"),
        (lambda: torch.tensor([1, 2], dtype=torch.int32) + 1, "int32"),
        (lambda: torch.ones(2) > 0, "bool"),
        (lambda: torch.arange(3).sum(), "int64"),
        (lambda: torch.tensor([True, True]).sum(), "int64"),
    ],
)
def test_promotion_rules(make, expected):
    assert make().dtype == getattr(torch, expected)


def test_promotion_matches_torch():
    torch_ = pytest.importorskip("torch")
    pairs = [("float32", "float64"), ("int64", "float32"), ("int32", "int64"), ("bool", "int32"),
             ("bool", "float32"), ("uint8", "int64")]
    for a, b in pairs:
        for za in (0, 1):
            for zb in (0, 1):
                sa, sb = (2,) if za else (), (2,) if zb else ()
                ta = torch_.ones(sa, dtype=getattr(torch_, a))
                tb = torch_.ones(sb, dtype=getattr(torch_, b))
                na = torch.ones(sa, dtype=getattr(torch, a))
                nb = torch.ones(sb, dtype=getattr(torch, b))
                assert str((ta + tb).dtype) == repr((na + nb).dtype), (a, b, sa, sb)


def test_factories():
    torch.manual_seed(0)
    a = torch.rand(2, 3)
    torch.manual_seed(0)
    b = torch.rand((2, 3))
    assert torch.equal(a, b) and a.dtype == torch.float32
    assert torch.zeros(2, 3).shape == (2, 3) and torch.ones(4).sum().item() == 4
    assert torch.full((2,), 7).dtype == torch.int64 and torch.full((2,), 7.0).dtype == torch.float32
    assert torch.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert torch.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert torch.arange(0.0, 3).dtype == torch.float32
    assert torch.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert torch.eye(3).trace().item() == 3.0
    x = torch.randn(3, 4)
    assert torch.zeros_like(x).shape == x.shape and torch.ones_like(x).dtype == x.dtype
    r = torch.randint(0, 5, (100,))
    assert r.dtype == torch.int64 and 0 <= r.min().item() and r.max().item() < 5
    assert sorted(torch.randperm(6).tolist()) == list(range(6))
    assert torch.empty(2, 2).shape == torch.Size([2, 2])


def test_from_numpy_shares_memory_and_tensor_copies():
    arr = np.arange(3.0)
    t = torch.from_numpy(arr)
    c = torch.tensor(arr)
    arr[0] = 9
    assert t[0].item() == 9 and c[0].item() == 0


def test_conversions():
    x = torch.tensor([[1.5, 2.0]])
    assert x.tolist() == [[1.5, 2.0]]
    assert x[0, 0].item() == 1.5
    assert x.double().dtype == torch.float64 and x.long().tolist() == [[1, 2]]
    assert x.to(torch.float64).dtype == torch.float64
    assert x.size() == (1, 2) and x.size(1) == 2 and x.numel() == 2 and x.dim() == 2
    assert x.clone() is not x and x.contiguous() is x
    m = torch.ones(2, 3)
    assert not m.t().is_contiguous() and m.t().contiguous().is_contiguous()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        torch.ones(2, requires_grad=True).numpy()


def test_repr_like_pytorch():
    assert repr(torch.tensor([1.0, 2.0], requires_grad=True)) == \
        "tensor([1., 2.], requires_grad=True)"
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x + 1) == "tensor([2., 3.], grad_fn=<AddBackward0>)"
    assert repr(torch.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(torch.tensor([0.5, 1.25])) == "tensor([0.5000, 1.2500])"
    assert repr(torch.tensor([1.0], dtype=torch.float64)) == "tensor([1.], dtype=torch.float64)"
    assert repr(torch.tensor(3.0)) == "tensor(3.)"
    assert repr(torch.zeros(2, 2)) == "tensor([[0., 0.],\n        [0., 0.]])"
    assert repr(torch.Size([2, 3])) == "torch.Size([2, 3])"


def test_repr_matches_torch_on_random_values():
    torch_ = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for shape in [(3,), (2, 3), (2, 2, 2), (4, 1)]:
        for scale in (1.0, 1e-6, 1e6):
            a = (rng.standard_normal(shape) * scale).astype(np.float32)
            assert repr(torch.tensor(a)) == repr(torch_.tensor(a)), (shape, scale)


def test_bool_of_multi_element_tensor_is_ambiguous():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(torch.ones(2))
    assert bool(torch.ones(1))


def test_python_floats_with_explicit_float64_dtype_are_not_rounded_to_float32():
    # torch.tensor([0.1], dtype=torch.float64) holds the double 0.1, not float32(0.1)
    assert torch.tensor([0.1, 0.2], dtype=torch.float64).tolist() == [0.1, 0.2]
    assert torch.tensor(0.1, dtype=torch.float64).item() == 0.1
    assert torch.tensor([[0.1], [1]], dtype=torch.float64, requires_grad=True).tolist() == [[0.1], [1.0]]
    assert torch.tensor([0.1]).dtype == torch.float32
    assert torch.tensor([0.1]).item() == float(np.float32(0.1))


def test_axis_alias_and_to_other_tensor():
    x = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert x.sum(axis=1).tolist() == [6.0, 5.0]
    assert torch.mean(x, axis=0).tolist() == [2.0, 3.5]
    assert x.max(axis=1).values.tolist() == [5.0, 3.0]
    assert x.argmax(axis=0).tolist() == [1, 0]
    assert x.cumsum(axis=1).tolist() == [[1.0, 6.0], [3.0, 5.0]]
    assert x.to(torch.ones(1, dtype=torch.float64)).dtype == torch.float64


INVALID_AS_TORCH = [
    "T.ones(2, 4) + T.ones(5)",
    "T.ones(3, 1, 4) * T.ones(2, 5)",
    "T.maximum(T.ones(4), T.ones(2, 3))",
    "T.where(T.ones(4) > 0, T.ones(4), T.ones(3))",
    "T.ones(3).add_(T.ones(2, 3))",
    "T.ones(3).mul_(T.ones(4))",
    "T.ones(3).sub_(T.ones(4))",
    "T.zeros(2, dtype=T.bool).add_(2)",
    "T.zeros(2, dtype=T.int64).mul_(1.5)",
    "T.tensor([1.0]) - True",
    "True - T.tensor([1.0])",
    "T.tensor([True]) - 1",
    "T.tensor([1, 2]) - T.tensor([True, False])",
    "T.tensor([True]) - T.tensor([True])",
    "-T.tensor([True])",
    "T.tensor([1.0]).sub_(True)",
]


@pytest.mark.parametrize("expr", INVALID_AS_TORCH)
def test_invalid_ops_raise_torch_error_type_and_message(expr):
    torch_real = pytest.importorskip("torch")
    with pytest.raises(Exception) as want:
        eval(expr, {"T": torch_real})
    with pytest.raises(type(want.value)) as got:
        eval(expr, {"T": torch})
    assert str(got.value) == str(want.value)


SAME_AS_TORCH = [
    "T.tensor([1, -2], dtype=T.int32).square()",  # integer square stays integer
    "T.tensor([True, False]).square()",
    "T.tensor([0.0, -1.0, 5.0, -5.0, 2.5, -0.0]) % -1",  # 0 % -1 is +0 (torch's fmod rule)
    "T.tensor([0.0, -1.0, 5.0, -5.0, 2.5]).remainder(T.tensor(-2.0))",
    "T.tensor([5, -5]) % -3",
    "T.zeros(0, 3).amax(dim=1)",
    "T.tensor([1.0, 0.0]) // 0",
    # NaN is the largest value: first in descending sorts and topk
    "T.tensor([[1.0, float('nan'), 3.0, -float('inf'), 3.0]]).sort(1, descending=True).indices",
    "T.tensor([[1.0, float('nan')], [2.0, 0.5]]).sort(dim=0, descending=True, stable=True).indices",
    "T.tensor([1.0, float('nan'), 3.0]).topk(2).values",
]
RAISE_AS_TORCH = [
    "T.tensor([1, 0]) // 0",
    "T.tensor([1, 0]) % 0",
    "T.tensor([1, 2]).std()",
    "T.tensor([True]).var()",
    "T.tensor([1, 2]).norm(p=1)",
    "T.tensor([]).amin()",
    "T.zeros(2, 0).amax(dim=1)",
]


@pytest.mark.parametrize("expr", SAME_AS_TORCH)
def test_dtype_and_value_rules_as_torch(expr):
    torch_real = pytest.importorskip("torch")
    assert repr(eval(expr, {"T": torch})) == repr(eval(expr, {"T": torch_real}))


@pytest.mark.parametrize("expr", RAISE_AS_TORCH)
def test_invalid_reductions_and_int_division_raise_as_torch(expr):
    torch_real = pytest.importorskip("torch")
    with pytest.raises(Exception) as want:
        eval(expr, {"T": torch_real})
    with pytest.raises(type(want.value)) as got:
        eval(expr, {"T": torch})
    assert str(got.value) == str(want.value)


def test_bool_with_int_scalars_promotes_like_torch():
    b = torch.tensor([True, False])
    assert (b | 3).tolist() == [3, 3] and (b | 3).dtype == torch.int64
    assert (b | True).dtype == torch.bool
    w = torch.where(b, b, 2)
    assert w.dtype == torch.int64 and w.tolist() == [1, 2]
    assert torch.where(b, torch.tensor([1, 2]), 2.5).dtype == torch.float32

"""A program's printed output is the same with torch and with nnlite: tensor reprs, grad_fn
names, module reprs, return types, seeded random numbers."""

import contextlib
import io

import nnlite

from .test_pytorch_programs import torch_real


def printing_program(torch):
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    print(lin.weight)
    x = torch.randn(4, 3)
    y = lin(x)
    print(y.grad_fn.name(), torch.relu(y).grad_fn.name(), y.sum().grad_fn.name())
    print(y.mean().grad_fn.name(), torch.softmax(y, 1).grad_fn.name(), y.view(-1).grad_fn.name())
    print(y[0].grad_fn.name(), y[1:].grad_fn.name(), y[:, None].grad_fn.name(), y.t().grad_fn.name())
    print(y.T.grad_fn.name(), y.unsqueeze(0).expand(2, 4, 2).grad_fn.name())
    print(torch.nn.functional.cross_entropy(y, torch.tensor([0, 1, 0, 1])).grad_fn.name())
    print(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Dropout(0.1)))
    print(x.max(), x.max(dim=0))
    print(x.sort(dim=1))
    print(torch.randn(2, 3).dtype, torch.arange(3.0), x.mean(), x.sum(1))
    print(torch.tensor([1e10, 1.0]), torch.tensor([0.001, 100000.0]))
    print(torch.tensor([float("nan"), 1.0, float("inf")]), torch.tensor([float("nan"), 1.5]))
    print(torch.zeros(3, dtype=torch.int32), torch.ones(2, dtype=torch.bool), torch.randn(20))
    print(torch.tensor(2.5, requires_grad=True) * 2, torch.randn(2, 600).shape)
    print(torch.randn(3, 2, dtype=torch.float64), torch.rand(5), torch.randint(0, 10, (6,)))
    print(torch.randperm(8))


def test_printed_output_matches_pytorch():
    outs = []
    for mod in (torch_real, nnlite):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            printing_program(mod)
        outs.append(buf.getvalue())
    assert outs[1] == outs[0]


SUFFIX_WRAP_CASES = [
    "T.tensor([-6.9315e-01, -3.0e+01, -9.3576e-14, -1.2693e-01], dtype=T.float64,"
    " requires_grad=True) * 2",
    "T.tensor([1.5, 2.25, -3.0], dtype=T.float64, requires_grad=True) * 2",
    "T.tensor([1.5, 2.25, -3.0], dtype=T.float64, requires_grad=True)",
    "(T.arange(30, dtype=T.float64).reshape(3, 10) / 7).requires_grad_()",
    "T.arange(30, dtype=T.float64).reshape(3, 10).requires_grad_().sum(0)",
    "T.zeros(0, 3, dtype=T.float64, requires_grad=True)",
    "T.arange(24, dtype=T.int16).reshape(2, 12) * 1000",
    "T.arange(100.0).reshape(10, 10).requires_grad_() * 1.5",
]


def test_repr_suffixes_wrap_at_the_line_width_as_pytorch():
    # "dtype=..., grad_fn=<...>" go on a new line when they would pass 80 columns
    for case in SUFFIX_WRAP_CASES:
        assert repr(eval(case, {"T": nnlite})) == repr(eval(case, {"T": torch_real})), case


FORMAT_CASES = [
    "T.tensor([1.0, 2000.0])",  # int-valued but a 2000x spread: scientific, as torch
    "T.tensor([-1.0, 2000.0], dtype=T.float64)",
    "T.tensor([0.0, -0.0])",  # zeros, nan, inf do not set the column width
    "T.tensor([-0.0, 0.0, 1.0])",
    "T.tensor([float('nan'), -float('inf')])",
    "T.tensor([-0.0, 5.5])",
    "T.tensor([-float('inf'), 0.0, 0.0])",
    "T.tensor([], dtype=T.int64)",  # empty: any non-default dtype is shown
    "T.tensor([], dtype=T.bool)",
    "T.zeros(0, 2, dtype=T.int64)",
    "T.zeros(0, 3, dtype=T.float64)",
    "T.zeros(0)",
]


def test_float_format_and_empty_dtype_as_pytorch():
    for case in FORMAT_CASES:
        assert repr(eval(case, {"T": nnlite})) == repr(eval(case, {"T": torch_real})), case


def test_set_printoptions_sci_mode_and_profiles_as_pytorch():
    try:
        for kw in ({"sci_mode": False}, {"sci_mode": True}, {"profile": "short"}, {}):
            outs = []
            for T in (torch_real, nnlite):
                T.set_printoptions(**kw)
                outs.append(repr(T.tensor([1e-5, 1.5, 2000.0])))
            assert outs[1] == outs[0], kw
    finally:
        for T in (torch_real, nnlite):
            T.set_printoptions(profile="default")


SUMMARY_CASES = [  # more than 1000 elements: torch elides with " ..." (one space more)
    "T.arange(2000).view(40, 50)",
    "T.arange(10.0).view(1, 10).expand(2000, 10)",
    "T.arange(1001)",
    "T.arange(3000.0) / 7",
    "T.ones(2, 1200, dtype=T.bool)",
]


def test_summarized_tensors_as_pytorch():
    for case in SUMMARY_CASES:
        assert repr(eval(case, {"T": nnlite})) == repr(eval(case, {"T": torch_real})), case


def test_finfo_iinfo_repr_and_values_as_pytorch():
    for name in ("float16", "float32", "float64"):
        t, n = torch_real.finfo(getattr(torch_real, name)), nnlite.finfo(getattr(nnlite, name))
        assert repr(n) == repr(t)
        for k in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(n, k) == getattr(t, k), (name, k)
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        t, n = torch_real.iinfo(getattr(torch_real, name)), nnlite.iinfo(getattr(nnlite, name))
        assert repr(n) == repr(t)
        assert (n.bits, n.min, n.max) == (t.bits, t.min, t.max)

"""Devices as a CPU-only PyTorch has them: ``torch.device("cuda")`` is a fine name, placing data
there raises torch's error; ``t == None`` is Python's answer. Every case is compared with real
torch (its error type and message, or its value's repr)."""

import numpy as np
import pytest

import nnlite
from nnlite._tensor import _check_device

CASES = [
    "x == None", "None == x", "x != None", "x == 'a'", "x == object()", "x == [1, 1]",
    "x != [1, 2]", "x == (1, 1)", "x == np.float64(1)", "x == np.ones(2)", "x == True",
    "x == x", "x != 2",
    "torch.device('cuda')", "torch.device('cuda', 1)", "str(torch.device('cuda', 1))",
    "torch.device('cuda:1').index", "torch.device('cuda:1').type", "torch.device(0)",
    "torch.device(torch.device('cuda:2'))", "torch.device('foo')", "torch.device('cuda:x')",
    "torch.device('cpu', 0)", "torch.device('cpu:0')", "torch.device('meta')",
    "torch.device('cpu:0') == torch.device('cpu')", "torch.device('cpu') == 'cpu'",
    "x.device == 'cpu'", "x.device == torch.device('cpu')", "x.device.type",
    "isinstance(x.device, torch.device)", "{torch.device('cpu'): 1}[x.device]",
    "x.to('cuda')", "x.to('cuda:0')", "x.to(torch.device('cuda'))", "x.to(device='cuda')",
    "x.to('cuda', torch.float64)", "x.to('mps')", "x.to(0)", "x.cuda()", "x.cuda(0)",
    "x.to('cpu')", "x.to('cpu:0')", "x.to('cpu', torch.float64)", "x.to(torch.float64, True)",
    "torch.zeros(2, device='cuda')", "torch.ones(2, device='cuda:0')",
    "torch.randn(2, device='cuda')", "torch.arange(3, device='cuda')",
    "torch.tensor([1.0], device=torch.device('cuda'))", "torch.as_tensor([1.0], device='cuda')",
    "torch.zeros_like(x, device='cuda')", "torch.empty_like(x, device='cuda')",
    "x.new_zeros(2, device='cuda')", "x.new_tensor([1.0], device='cuda')",
    "torch.ones(2, device='cpu:0')", "torch.zeros(2, device=torch.device('cpu'))",
    "torch.nn.Linear(2, 2, device='cuda')", "torch.nn.Linear(2, 2).cuda()",
    "torch.nn.Linear(2, 2).to('cuda')", "torch.nn.Linear(2, 2).to('cpu').in_features",
    "torch.nn.Conv2d(1, 1, 3, device='cuda')", "torch.nn.LayerNorm(2, device='cuda')",
    "torch.nn.Embedding(3, 2, device='cuda')",
]


def _outcome(torch, expr):
    x = torch.ones(2)
    try:
        r = eval(expr, {"torch": torch, "np": np, "x": x})
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return f"{type(e).__name__}: {e}"
    return repr(r)


@pytest.mark.parametrize("expr", CASES)
def test_device_behaviour_matches_torch(expr):
    torch = pytest.importorskip("torch")
    assert _outcome(nnlite, expr) == _outcome(torch, expr)


def test_check_device_passes_the_cpu_and_names_other_devices():
    for ok in (None, "cpu", "cpu:0", nnlite.device("cpu"), nnlite.device("cpu", 1)):
        _check_device(ok)
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        _check_device("cuda:3")
    with pytest.raises(RuntimeError, match="device 'xla' is not available"):
        _check_device("xla")
    with pytest.raises(AttributeError):
        nnlite.device("cpu").type = "cuda"

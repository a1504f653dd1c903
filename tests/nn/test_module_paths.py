"""``nnlite.nn.modules.*`` holds nnlite.nn's classes under PyTorch's module paths."""

import importlib

import pytest

import nnlite
import nnlite.nn.modules as M

torch = pytest.importorskip("torch")


def test_every_path_name_exists_in_torch_at_the_same_path_and_is_nnlites_class():
    count = 0
    for sub in [n for n in dir(M) if not n.startswith("_") and n != "Module"]:
        mine = importlib.import_module(f"nnlite.nn.modules.{sub}")
        theirs = importlib.import_module(f"torch.nn.modules.{sub}")
        for name in mine.__all__:
            assert hasattr(theirs, name), f"torch.nn.modules.{sub} has no {name}"
            if hasattr(nnlite.nn, name):
                assert getattr(mine, name) is getattr(nnlite.nn, name)
            count += 1
    assert count > 100


def test_custom_loss_on_the_private_base_behaves_as_torchs():
    outs = []
    for T in (torch, nnlite):
        class Scaled(T.nn.modules.loss._Loss):
            def forward(self, a, b):
                d = (a - b).abs()
                return d.mean() if self.reduction == "mean" else d.sum()

        a, b = T.tensor([1.0, 2.0, 4.0]), T.tensor([0.0, 2.0, 1.0])
        outs.append((Scaled()(a, b).item(), Scaled(reduction="sum")(a, b).item(),
                     repr(T.nn.modules.linear.NonDynamicallyQuantizableLinear(2, 3))))
    assert outs[0] == outs[1]

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


def _torch_module_classes():
    """``(submodule, class name)`` for every class torch.nn.modules' submodules define."""
    import inspect
    import pkgutil

    out = []
    for info in pkgutil.iter_modules(torch.nn.modules.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"torch.nn.modules.{info.name}")
        for name, obj in vars(mod).items():
            if (inspect.isclass(obj) and issubclass(obj, torch.nn.Module)
                    and obj.__module__ == mod.__name__):
                out.append((info.name, name))
    return out


def test_every_nn_class_nnlite_has_is_importable_from_torchs_module_path():
    pairs = _torch_module_classes()
    assert len(pairs) > 150  # the walk found torch's classes
    missing, checked = [], 0
    for sub, name in pairs:
        if not hasattr(nnlite.nn, name):
            continue
        checked += 1
        try:
            mine = importlib.import_module(f"nnlite.nn.modules.{sub}")
        except ImportError:
            missing.append(f"nnlite.nn.modules.{sub} (for {name})")
            continue
        if getattr(mine, name, None) is not getattr(nnlite.nn, name):
            missing.append(f"nnlite.nn.modules.{sub}.{name}")
    assert checked > 100
    assert not missing, missing


def test_the_path_walk_fails_on_a_class_missing_from_its_path(monkeypatch):
    # the walk is only worth something if it notices a class absent from its module path
    import nnlite.nn.modules.conv as conv_paths

    monkeypatch.delattr(conv_paths, "Conv2d")
    with pytest.raises(AssertionError, match=r"nnlite\.nn\.modules\.conv\.Conv2d"):
        test_every_nn_class_nnlite_has_is_importable_from_torchs_module_path()


def test_deprecated_aliases_behave_as_torchs():
    import warnings

    import numpy as np

    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3)).astype(np.float32)
    outs = []
    for T in (torch, nnlite):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            c = T.nn.Container(a=T.nn.Linear(1, 1))
            ups = [f(T.tensor(x), scale_factor=2).numpy() for f in (
                T.nn.functional.upsample, T.nn.functional.upsample_nearest,
                T.nn.functional.upsample_bilinear)]
        loss = T.nn.NLLLoss2d(ignore_index=1)
        lp = T.tensor(x).log_softmax(1)
        outs.append((repr(c), list(c.state_dict()), [str(m.message) for m in w], ups,
                     isinstance(loss, T.nn.NLLLoss), loss(lp, T.tensor([[[0, 1, 1]] * 3])).item()))
    a, b = outs
    assert a[:3] == b[:3] and a[4] == b[4]
    for u, v in zip(a[3], b[3]):
        np.testing.assert_allclose(v, u, rtol=1e-6)
    np.testing.assert_allclose(b[5], a[5], rtol=1e-6)


# torch.nn classes nnlite deliberately does not provide yet (the walk above skips absent
# classes; this census names them, so a new gap or a newly added class shows up here)
NOT_PROVIDED = {"LinearCrossEntropyLoss", "CrossMapLRN2d"}


def test_the_public_torch_nn_classes_nnlite_lacks_are_the_listed_ones():
    absent = {name for sub, name in _torch_module_classes()
              if not name.startswith("_") and not hasattr(nnlite.nn, name)
              and not hasattr(importlib.import_module(f"nnlite.nn.modules.{sub}"), name)}
    assert absent == NOT_PROVIDED

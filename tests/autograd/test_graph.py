"""The autograd graph as a picture: nnlite's make_dot/to_dot/print_graph against torchviz on
PyTorch's graph of the same expression, and the real torchviz on nnlite graphs."""

import importlib
import io
import shutil
import subprocess
import sys

import pytest

import nnlite
from nnlite.autograd.graph import make_dot, print_graph, to_dot
from tests.autograd.graph_compare import structure


def add_mul(torch):
    x = torch.ones(3, requires_grad=True)
    y = torch.ones(3, requires_grad=True)
    z = x + y
    return z * 2, {"x": x, "y": y}


def explicit_mlp(torch):
    gen = torch.Generator().manual_seed(0)
    w1 = torch.randn(8, 4, generator=gen).requires_grad_()
    b1 = torch.zeros(8, requires_grad=True)
    w2 = torch.randn(3, 8, generator=gen).requires_grad_()
    x = torch.randn(5, 4, generator=gen)
    h = torch.relu(x @ w1.t() + b1)
    out = torch.tanh(h @ w2.t()).pow(2).mean()
    return out, {"w1": w1, "b1": b1, "w2": w2}


def linear_mlp(torch):
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    out = m(torch.randn(5, 4)).sum()
    return out, dict(m.named_parameters())


def diamond(torch):
    x = torch.ones(2, 2, requires_grad=True)
    z = x * x
    return (z.sin() + z.exp()).sum(), {"x": x}


def torchviz_dot(fn, **kw):
    torch = pytest.importorskip("torch")
    torchviz = pytest.importorskip("torchviz")
    out, params = fn(torch)
    return torchviz.make_dot(out, params=params, **kw).source


@pytest.mark.parametrize("fn", [add_mul, explicit_mlp, diamond])
def test_same_graph_as_torch(fn):
    pytest.importorskip("graphviz")
    expected = structure(torchviz_dot(fn))
    out, params = fn(nnlite)
    assert structure(make_dot(out, params=params).source) == expected
    assert structure(to_dot(out, params=params)) == expected


def test_seed_notes_example_node_names():
    pytest.importorskip("graphviz")
    out, params = add_mul(nnlite)
    nodes, edges = structure(make_dot(out, params=params).source)
    assert nodes == {("MulBackward0", ""): 1, ("AddBackward0", ""): 1,
                     ("AccumulateGrad", ""): 2, ("x\n (3)", "lightblue"): 1,
                     ("y\n (3)", "lightblue"): 1, ("\n (3)", "darkolivegreen1"): 1}
    assert edges[("AddBackward0", "MulBackward0", "")] == 1
    assert edges[("AccumulateGrad", "AddBackward0", "")] == 2


def test_linear_mlp_labels_leaves_as_torch():
    # nn.Linear records one AddmmBackward0 reading the weight directly (PyTorch inserts a
    # TBackward0 for weight.t()); the parameters, their names and shapes are the same.
    pytest.importorskip("graphviz")
    t_nodes, _ = structure(torchviz_dot(linear_mlp))
    out, params = linear_mlp(nnlite)
    n_nodes, n_edges = structure(make_dot(out, params=params).source)
    leaves = lambda nodes: {k: v for k, v in nodes.items() if k[1] == "lightblue"}  # noqa: E731
    assert leaves(n_nodes) == leaves(t_nodes)
    assert len(leaves(n_nodes)) == 4
    assert set(n_nodes) - {("TBackward0", "")} <= set(t_nodes) | set(n_nodes)
    assert n_edges[("AddmmBackward0", "SumBackward0", "")] == 1
    assert n_edges[("ReluBackward0", "AddmmBackward0", "")] == 1


def test_structure_checker_fails_on_a_different_graph():
    a, pa = add_mul(nnlite)
    x, y = pa["x"], pa["y"]
    b = (x * y) + 2
    assert structure(to_dot(a, params=pa)) != structure(to_dot(b, params=pa))
    c = (y + x) * 2  # same shape of graph, but a leaf is unnamed
    assert structure(to_dot(a, params=pa)) != structure(to_dot(c, params={"x": x}))


@pytest.fixture
def torchviz_on_nnlite(monkeypatch):
    """torchviz imported with nnlite as ``torch`` (as a user running ``import nnlite as torch``
    through a shim would get)."""
    pytest.importorskip("torchviz")
    pytest.importorskip("graphviz")
    for name in [m for m in sys.modules if m == "torchviz" or m.startswith("torchviz.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torch", nnlite)
    monkeypatch.setitem(sys.modules, "torch.autograd", nnlite.autograd)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = importlib.import_module("torchviz")
    yield mod
    for name in [m for m in sys.modules if m == "torchviz" or m.startswith("torchviz.")]:
        del sys.modules[name]


@pytest.mark.parametrize("fn", [add_mul, explicit_mlp, diamond])
def test_real_torchviz_on_nnlite_graph_matches_torch(torchviz_on_nnlite, fn):
    out, params = fn(nnlite)
    got = torchviz_on_nnlite.make_dot(out, params=params).source
    monkeypatch_torch = sys.modules["torch"]
    assert monkeypatch_torch is nnlite
    assert structure(got) == structure(make_dot(out, params=params).source)


def test_real_torchviz_show_saved_and_attrs(torchviz_on_nnlite):
    x = nnlite.ones(3, requires_grad=True)
    c = nnlite.full((3,), 2.0)
    y = (x * c).tanh().sum()
    with pytest.warns(UserWarning):  # torchviz warns for a torch.__version__ below 1.9
        src = torchviz_on_nnlite.make_dot(y, params={"x": x}, show_attrs=True,
                                          show_saved=True).source
    nodes, edges = structure(src)
    labels = {lab for lab, _ in nodes}
    assert "other\n (3)" in labels and "result\n (3)" in labels  # _saved_other, _saved_result
    assert any(lab.startswith("MulBackward0\n") and "[saved tensor]" in lab for lab in labels)
    mul = next(lab for lab in labels if lab.startswith("MulBackward0\n"))
    # exactly torch's two saved attributes (no helper methods leaking in through dir())
    assert sorted(line.split(":")[0].strip() for line in mul.split("\n")[2:]) == ["other", "self"]
    assert ("MulBackward0", "other\n (3)", "none") not in edges  # labels carry attrs now


def custom_function(torch, save_none=True):
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(*((x, None) if save_none else (x,)))
            return x * x

        @staticmethod
        def backward(ctx, g):
            x = ctx.saved_tensors[0]
            assert len(ctx.saved_tensors) == (2 if save_none else 1)
            return 2 * x * g, None

    x = torch.ones(2, requires_grad=True)
    y = Square.apply(x, 3) * 3
    return y, {"x": x}


def test_custom_function_saved_tensors_shown_like_torch():
    nodes, edges = structure(to_dot(*custom_function(nnlite)))
    assert nodes[("SquareBackward", "")] == 1
    assert nodes[("x\n (2)", "orange")] == 1  # the saved input, drawn after its leaf node
    assert edges[("x\n (2)", "SquareBackward", "none")] == 1
    y, params = custom_function(nnlite)
    y.sum().backward()
    assert params["x"].grad.tolist() == [6.0, 6.0]
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchviz")
    from torchviz import make_dot as torch_make_dot

    # (torchviz itself cannot size the None that torch's ctx keeps: compare without it)
    t_src = torch_make_dot(*custom_function(torch, save_none=False)).source
    assert structure(t_src) == (nodes, edges)


def test_builtin_nodes_have_saved_attributes_not_saved_tensors():
    torch = pytest.importorskip("torch")
    for lib in (torch, nnlite):
        x = lib.ones(3, requires_grad=True)
        c = lib.full((3,), 2.0)
        node = (x * c).grad_fn
        assert not hasattr(node, "saved_tensors")
        assert node._saved_other is c
        if lib is nnlite:
            assert node._saved_self is x  # torch skips saving what no gradient needs
    x = nnlite.ones(3, requires_grad=True)
    sq = (x * x).grad_fn  # the same tensor saved twice: self and other, as torch names them
    assert sq._saved_self is x and sq._saved_other is x
    t = nnlite.ones(3, requires_grad=True).exp()
    assert t.grad_fn._saved_result.tolist() == t.tolist()
    with pytest.raises(AttributeError, match="_saved_result"):
        t.grad_fn.saved_tensors


def test_print_graph_text():
    out, params = add_mul(nnlite)
    buf = io.StringIO()
    print_graph(out, params=params, file=buf)
    assert buf.getvalue() == (
        "MulBackward0\n"
        "└─ AddBackward0\n"
        "   ├─ AccumulateGrad  x (3)\n"
        "   └─ AccumulateGrad  y (3)\n"
    )
    out, params = diamond(nnlite)
    buf = io.StringIO()
    print_graph(out, params=params, file=buf)
    text = buf.getvalue()
    assert text.count("MulBackward0") == 2 and "(see #" in text
    assert text.count("x (2, 2)") == 1 and "AccumulateGrad (see #" in text


def test_long_chain_no_recursion_limit():
    x = nnlite.ones(1, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert to_dot(y).count("MulBackward0") == 3000
    buf = io.StringIO()
    print_graph(y, file=buf)
    assert buf.getvalue().count("MulBackward0") == 3000


def test_bad_inputs_named():
    x = nnlite.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="params\\['w'\\]"):
        to_dot(x * 2, params={"w": 3})
    with pytest.raises(TypeError, match="expected a tensor"):
        to_dot([1, 2])
    buf = io.StringIO()
    print_graph(nnlite.ones(2), file=buf)
    assert "requires_grad=False" in buf.getvalue()


def test_make_dot_without_graphviz(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"nnlite\[viz\]"):
        make_dot(nnlite.ones(1, requires_grad=True) * 2)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_svg(tmp_path):
    out, params = linear_mlp(nnlite)
    src = tmp_path / "g.dot"
    src.write_text(to_dot(out, params=params))
    svg = subprocess.run(["dot", "-Tsvg", str(src)], capture_output=True, text=True, timeout=60)
    assert svg.returncode == 0, svg.stderr
    assert "<svg" in svg.stdout and "AddmmBackward0" in svg.stdout and "0.weight" in svg.stdout
    pytest.importorskip("graphviz")
    path = make_dot(out, params=params).render(str(tmp_path / "g"), format="svg")
    assert open(path).read().count("AccumulateGrad") == 4


def test_cli_dry_run_writes_the_graph(tmp_path, capsys):
    import os

    from nnlite.train.cli import main

    cfg = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "configs", "mlp.yaml")
    txt = tmp_path / "g.txt"
    assert main([cfg, "--dry-run", "--graph", str(txt)]) == 0
    text = txt.read_text()
    assert text.startswith("NllLossBackward0\n") and "AccumulateGrad  0.weight (256, 64)" in text
    dot = tmp_path / "g.dot"
    assert main([cfg, "--dry-run", "--quiet", "--graph", str(dot)]) == 0
    assert structure(dot.read_text())[0][("0.weight\n (256, 64)", "lightblue")] == 1
    assert main([cfg, "--graph", str(dot)]) == 2
    assert main([cfg, "--dry-run", "--graph", str(tmp_path / "g.jpg")]) == 2
    assert "--graph" in capsys.readouterr().err
    if shutil.which("dot") is not None:
        pytest.importorskip("graphviz")
        svg = tmp_path / "g.svg"
        assert main([cfg, "--dry-run", "--quiet", "--graph", str(svg)]) == 0
        assert "<svg" in svg.read_text()


def test_torchviz_through_the_compat_shim(tmp_path):
    # the user's path: an unchanged PyTorch script using torchviz, run with nnlite as torch
    pytest.importorskip("torchviz")
    pytest.importorskip("graphviz")
    script = tmp_path / "viz.py"
    script.write_text(
        "import torch\n"
        "import torch.nn as nn\n"
        "from torchviz import make_dot\n"
        "m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        "y = m(torch.randn(3, 4)).sum()\n"
        "dot = make_dot(y, params=dict(m.named_parameters()), show_attrs=True, show_saved=True)\n"
        "print(torch.__name__, dot.source.count('AccumulateGrad'), '2.weight' in dot.source)\n"
    )
    r = subprocess.run([sys.executable, "-W", "ignore", "-m", "nnlite.compat", str(script)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["nnlite", "4", "True"]

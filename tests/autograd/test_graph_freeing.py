"""A ``retain_graph=False`` backward releases every array the forward pass left on the graph:
saved tensors, a node's own output, and arrays stashed as node attributes (BatchNorm's rows,
cross-entropy's log-probabilities)."""

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.autograd.function import AccumulateGrad

from .op_table import OPS
from .test_ops_table import make_inputs, nl_inputs


def _arrays(v):
    if isinstance(v, np.ndarray):
        return [v]
    if isinstance(v, nl.Tensor):
        return [v._data]
    if isinstance(v, (tuple, list)):
        return [a for x in v for a in _arrays(x)]
    return []


def graph_arrays(root):
    """Every array reachable from the nodes of the graph under ``root`` (leaves' parameters,
    which the graph does not own, excluded), by id."""
    seen, found, stack = set(), {}, [root]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        if isinstance(fn, AccumulateGrad):
            continue
        for v in vars(fn).values():
            for a in _arrays(v):
                found[id(a)] = a
        stack.extend(c for c, _ in fn.next_functions)
    return found


def graph_bytes(root):
    return sum(a.nbytes for a in graph_arrays(root).values())


def _mid_mlp():
    nl.manual_seed(0)
    return nn.Sequential(
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10),
    )


def test_graph_arrays_sees_what_a_graph_holds():
    """The walker is the check: it must find the arrays a live graph holds."""
    model = _mid_mlp()
    loss = nn.functional.cross_entropy(model(nl.randn(256, 784)), nl.randint(0, 10, (256,)))
    held = graph_bytes(loss.grad_fn)
    # at least BN's normalised rows and ReLU's outputs, float32: 2 * 256 * (512 + 256) * 4
    assert held >= 2 * 256 * (512 + 256) * 4


def test_mid_mlp_backward_frees_all_forward_arrays(capsys):
    model = _mid_mlp()
    loss = nn.functional.cross_entropy(model(nl.randn(256, 784)), nl.randint(0, 10, (256,)))
    before = graph_bytes(loss.grad_fn)
    loss.backward()
    after = graph_bytes(loss.grad_fn)
    with capsys.disabled():
        print(f"\nmid MLP graph: {before} bytes held before backward, {after} after")
    assert before > 0 and after == 0
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_keeps_and_second_pass_matches():
    model = _mid_mlp()
    loss = nn.functional.cross_entropy(model(nl.randn(32, 784)), nl.randint(0, 10, (32,)))
    before = graph_bytes(loss.grad_fn)
    loss.backward(retain_graph=True)
    g1 = model[0].weight.grad.numpy().copy()
    assert graph_bytes(loss.grad_fn) == before
    loss.backward()
    np.testing.assert_allclose(model[0].weight.grad.numpy(), 2 * g1, rtol=1e-5, atol=1e-7)
    assert graph_bytes(loss.grad_fn) == 0


def test_node_without_saved_data_runs_twice_as_torch():
    a = nl.tensor([1.0, 2.0], requires_grad=True)
    y = (a + 1.0).sum()
    y.backward()
    y.backward()  # AddBackward0/SumBackward0 save no data: allowed, as in PyTorch
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_table_op_frees_its_graph(name):
    fn, shapes, domain = OPS[name]
    xs = nl_inputs(make_inputs(shapes, domain))
    y = fn(nl, *xs)
    root = y.grad_fn
    y.sum().backward()
    leftover = {i: a.shape for i, a in graph_arrays(root).items()
                if not any(a is x._data for x in xs)}
    assert leftover == {}, f"{name} keeps arrays after backward: {leftover}"

"""A ``retain_graph=False`` backward releases every array the forward pass left on the graph.

What a node keeps goes through one saving call (``save_for_backward`` / ``Node.save`` /
``record(saved=)``), and ``Node._free`` drops exactly that. The check here does not trust that
bookkeeping: it walks everything reachable from the graph's nodes (``gc.get_referents``
through attributes, containers, tensors, views' bases, closures) and asserts that after
``loss.backward()`` no array is left but the leaves' own, over the op families (linear,
BatchNorm, losses, conv/pool/embedding, attention, RNNs, custom Functions, the op table), and
that a second backward raises PyTorch's error.
"""

import gc
import types

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn
from nnlite.autograd.function import AccumulateGrad, Function, Node
from nnlite.nn import functional as F

from .op_table import OPS
from .test_ops_table import make_inputs, nl_inputs

SECOND_TIME = "backward through the graph a second time"

# objects the walk does not enter: they are program state, not something a node saved
_OPAQUE = (type, types.ModuleType, types.BuiltinFunctionType, str, bytes, int, float, complex,
           bool, np.dtype, type(None))


def reachable_arrays(*roots):
    """``{id: array}`` of every numpy array reachable from the graph nodes ``roots`` (and the
    nodes they lead to), except what a leaf's ``AccumulateGrad`` points at (the leaf and its
    gradient, which the graph does not own).

    Walks ``gc.get_referents`` through nodes, their ``__dict__``, containers, tensors (slots
    included), views (``.base``), functions' closures and defaults, and any other instance's
    attributes; types, modules and a function's globals are not entered.
    """
    seen, found = set(), {}
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _OPAQUE):
            continue
        seen.add(id(obj))
        if isinstance(obj, AccumulateGrad):
            continue
        if isinstance(obj, np.ndarray):
            found[id(obj)] = obj
            if obj.base is not None:
                stack.append(obj.base)
            continue
        if isinstance(obj, types.FunctionType):
            stack.extend(c.cell_contents for c in obj.__closure__ or () if _filled(c))
            stack.extend(obj.__defaults__ or ())
            stack.extend((obj.__kwdefaults__ or {}).values())
            continue
        if isinstance(obj, types.MethodType):
            stack.extend((obj.__self__, obj.__func__))
            continue
        stack.extend(gc.get_referents(obj))
        d = getattr(obj, "__dict__", None)  # not GC-tracked when empty: add it by hand
        if isinstance(d, dict):
            stack.append(d)
    return found


def _filled(cell):
    try:
        _ = cell.cell_contents
    except ValueError:
        return False
    return True


def _own(leaves):
    """Ids of the arrays the leaves own: their data and their ``.grad``'s (a saved leaf leads to
    both; neither is the graph's)."""
    own = set()
    for t in leaves:
        for a in (t._data, None if t._grad is None else t._grad._data):
            while a is not None:
                own.add(id(a))
                a = a.base
    return own


def leftover(roots, leaves=()):
    """``{id: shape}`` of the arrays still reachable from the graph that the leaves do not own."""
    own = _own(leaves)
    return {i: a.shape for i, a in reachable_arrays(*roots).items() if i not in own}


def holders(roots, leaves=()):
    """``["NodeName.attr", ...]`` of the graph's node attributes through which arrays other than
    the leaves' are reachable (for the failure message)."""
    own = _own(leaves)
    out, seen, stack = [], set(), list(roots)
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen or isinstance(fn, AccumulateGrad):
            continue
        seen.add(id(fn))
        for k, v in vars(fn).items():
            if k != "next_functions" and set(reachable_arrays(v)) - own:
                out.append(f"{type(fn).__name__}.{k}")
        stack.extend(c for c, _ in fn.next_functions)
    return sorted(out)


def held_bytes(roots, leaves=()):
    own = _own(leaves)
    return sum(a.nbytes for i, a in reachable_arrays(*roots).items() if i not in own)


def _roots(*outs):
    return [o.grad_fn for o in outs if o.grad_fn is not None]


def check_frees(loss, leaves=(), extra_roots=()):
    """backward() then: nothing of the forward pass reachable, and a second pass raises when
    the graph held anything (a graph that saved nothing may run again, as in PyTorch)."""
    roots = _roots(loss) + list(extra_roots)
    before = held_bytes(roots, leaves)
    loss.backward()
    assert leftover(roots, leaves) == {}, f"kept after backward by {holders(roots, leaves)}"
    if before:
        with pytest.raises(RuntimeError, match=SECOND_TIME):
            loss.backward()
    return before


# ---- the check can fail --------------------------------------------------------------------


class _Hider(Node):
    """A node hiding arrays the way a careless op could: nested containers, a closure, a
    bound method, a view of a bigger array."""

    def backward(self, g):
        return (g,)


def test_walker_finds_arrays_hidden_in_a_node():
    big = np.arange(100.0)
    nested, closed, bound, viewed = np.ones(3), np.ones(4), np.ones(5), big[10:20]

    def closure():
        return closed

    class Holder:
        def __init__(self):
            self.a = bound

        def method(self):
            return None

    node = _Hider()
    node.stash = {"k": [(nested,)]}
    node.fn = closure
    node.cb = Holder().method
    node.view = viewed
    found = reachable_arrays(node)
    for a in (nested, closed, bound, viewed, big):
        assert id(a) in found
    # and so the assertion the tests make fails on it
    assert leftover([node]) != {}


def test_walker_sees_the_arrays_a_live_graph_holds():
    model = _mid_mlp()
    x = nl.randn(256, 784)
    loss = F.cross_entropy(model(x), nl.randint(0, 10, (256,)))
    held = held_bytes(_roots(loss), _leaves(model, x))
    # at least BN's normalised rows and ReLU's outputs, float32: 2 * 256 * (512 + 256) * 4
    assert held >= 2 * 256 * (512 + 256) * 4


def test_a_node_whose_attribute_bypasses_the_saving_call_is_caught():
    """An array set as a plain attribute (not through ``node.save``) stays after backward: the
    walk reports it (this is what the family tests below would show for a careless op)."""
    x = nl.randn(4, requires_grad=True)
    y = x * 2.0
    y.grad_fn.stray = np.ones(7)  # bypasses node.save
    y.grad_fn.save(kept=np.ones(9))  # through the saving call: released
    roots = _roots(y)
    y.sum().backward()
    assert list(leftover(roots, [x]).values()) == [(7,)]


# ---- the mid MLP: bytes held before / after -------------------------------------------------


def _mid_mlp():
    nl.manual_seed(0)
    return nn.Sequential(
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10),
    )


def _leaves(model, *inputs):
    return list(model.parameters()) + list(model.buffers()) + list(inputs)


def test_mid_mlp_backward_frees_all_forward_arrays(capsys):
    model = _mid_mlp()
    x = nl.randn(256, 784)
    loss = F.cross_entropy(model(x), nl.randint(0, 10, (256,)))
    roots = _roots(loss)
    before = held_bytes(roots, _leaves(model, x))
    loss.backward()
    after = held_bytes(roots, _leaves(model, x))
    with capsys.disabled():
        print(f"\nmid MLP graph: {before} bytes held before backward, {after} after")
    assert before > 0 and after == 0
    assert leftover(roots, _leaves(model, x)) == {}
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        loss.backward()


def test_retain_graph_keeps_and_second_pass_matches():
    model = _mid_mlp()
    x = nl.randn(32, 784)
    loss = F.cross_entropy(model(x), nl.randint(0, 10, (32,)))
    roots, leaves = _roots(loss), _leaves(model, x)
    before = held_bytes(roots, leaves)
    loss.backward(retain_graph=True)
    g1 = model[0].weight.grad.numpy().copy()
    assert held_bytes(roots, leaves) == before
    loss.backward()
    np.testing.assert_allclose(model[0].weight.grad.numpy(), 2 * g1, rtol=1e-5, atol=1e-7)
    assert leftover(roots, leaves) == {}


def test_node_without_saved_data_runs_twice_as_torch():
    a = nl.tensor([1.0, 2.0], requires_grad=True)
    y = (a + 1.0).sum()
    y.backward()
    y.backward()  # AddBackward0/SumBackward0 save no data: allowed, as in PyTorch
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_freed_saved_tensor_access_raises_as_torch():
    x = nl.randn(3, requires_grad=True)
    y = x.exp()
    y.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        _ = y.grad_fn._saved_result


# ---- op families ---------------------------------------------------------------------------


def _run_module(module, *inputs):
    nl.manual_seed(1)
    out = module(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    flat = []
    for o in outs:  # RNNs return (output, h) or (output, (h, c))
        flat.extend(o if isinstance(o, tuple) else (o,))
    flat = [o for o in flat if isinstance(o, nl.Tensor) and o.grad_fn is not None]
    total = sum((o * o).mean() for o in flat)
    return total, list(module.parameters()) + list(module.buffers()) + list(inputs)


FAMILIES = {
    "batchnorm1d-train": lambda: (nn.BatchNorm1d(6), (nl.randn(8, 6, requires_grad=True),)),
    "batchnorm2d-train": lambda: (nn.BatchNorm2d(3), (nl.randn(2, 3, 4, 4),)),
    "batchnorm-eval": lambda: (nn.BatchNorm1d(6).eval(), (nl.randn(8, 6, requires_grad=True),)),
    "layernorm": lambda: (nn.LayerNorm(6), (nl.randn(4, 6, requires_grad=True),)),
    "groupnorm": lambda: (nn.GroupNorm(2, 4), (nl.randn(2, 4, 3, requires_grad=True),)),
    "dropout": lambda: (nn.Dropout(0.5), (nl.randn(16, requires_grad=True),)),
    "gelu-tanh": lambda: (nn.GELU("tanh"), (nl.randn(5, requires_grad=True),)),
    "softmax": lambda: (nn.Softmax(-1), (nl.randn(3, 5, requires_grad=True),)),
    "log-softmax": lambda: (nn.LogSoftmax(-1), (nl.randn(3, 5, requires_grad=True),)),
    "conv1d": lambda: (nn.Conv1d(2, 3, 3, padding=1), (nl.randn(2, 2, 7, requires_grad=True),)),
    "conv2d": lambda: (nn.Conv2d(2, 3, 3, stride=2, groups=1), (nl.randn(1, 2, 7, 7),)),
    "conv-transpose2d": lambda: (nn.ConvTranspose2d(2, 3, 3, stride=2),
                                 (nl.randn(1, 2, 4, 4, requires_grad=True),)),
    "max-pool2d": lambda: (nn.MaxPool2d(2), (nl.randn(1, 2, 6, 6, requires_grad=True),)),
    "avg-pool2d": lambda: (nn.AvgPool2d(3, stride=2, padding=1),
                           (nl.randn(1, 2, 6, 6, requires_grad=True),)),
    "adaptive-avg-pool2d": lambda: (nn.AdaptiveAvgPool2d(2),
                                    (nl.randn(1, 2, 5, 5, requires_grad=True),)),
    "embedding": lambda: (nn.Embedding(10, 4), (nl.tensor([[1, 2, 2], [0, 9, 1]]),)),
    "multihead-attention": lambda: (nn.MultiheadAttention(8, 2, batch_first=True),
                                    (nl.randn(2, 3, 8, requires_grad=True),) * 3),
    "transformer-encoder-layer": lambda: (
        nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, batch_first=True),
        (nl.randn(2, 3, 8, requires_grad=True),)),
    "rnn": lambda: (nn.RNN(4, 5, num_layers=2), (nl.randn(3, 2, 4, requires_grad=True),)),
    "lstm": lambda: (nn.LSTM(4, 5, batch_first=True), (nl.randn(2, 3, 4, requires_grad=True),)),
    "gru": lambda: (nn.GRU(4, 5, bidirectional=True), (nl.randn(3, 2, 4, requires_grad=True),)),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_module_graph_is_freed(name):
    module, inputs = FAMILIES[name]()
    loss, leaves = _run_module(module, *inputs)
    assert check_frees(loss, leaves) > 0, f"{name}: the walk found nothing before backward"


LOSSES = {
    "cross-entropy": lambda x, t: F.cross_entropy(x, t),
    "cross-entropy-weight-smoothing": lambda x, t: F.cross_entropy(
        x, t, weight=nl.tensor([1.0, 2.0, 0.5, 1.0]), label_smoothing=0.1),
    "cross-entropy-ignore-none": lambda x, t: F.cross_entropy(x, t, ignore_index=1,
                                                              reduction="none").sum(),
    "nll": lambda x, t: F.nll_loss(F.log_softmax(x, -1), t),
    "mse": lambda x, t: F.mse_loss(x, nl.ones_like(x)),
    "bce-logits": lambda x, t: F.binary_cross_entropy_with_logits(x, nl.zeros_like(x)),
    "smooth-l1": lambda x, t: F.smooth_l1_loss(x, nl.zeros_like(x)),
    "kl-div": lambda x, t: F.kl_div(F.log_softmax(x, -1), F.softmax(x.detach(), -1),
                                    reduction="batchmean"),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_graph_is_freed(name):
    x = nl.randn(5, 4, requires_grad=True)
    t = nl.tensor([0, 1, 3, 2, 1])
    loss = LOSSES[name](x, t)
    assert check_frees(loss, [x, t]) > 0


class _Cube(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k  # a Python scalar: stays, as in PyTorch
        return x * x * x * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x * ctx.k, None


class _SavesOutput(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


def test_custom_function_saved_tensors_are_freed():
    x = nl.randn(4, requires_grad=True)
    h = x * 2.0  # a non-leaf input, saved by the Function
    y = _SavesOutput.apply(_Cube.apply(h, 2.0))
    assert check_frees(y.sum(), [x]) > 0
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        _ = y.grad_fn.saved_tensors


def test_mixed_graph_of_shape_index_and_reduce_ops_is_freed():
    x = nl.randn(4, 6, requires_grad=True)
    idx = nl.tensor([2, 0, 3])
    y = x[idx].t().reshape(3, 6)
    z = y.max(dim=1).values.sum() + y.sort(dim=1).values[:, :2].sum()
    z = z + x.gather(1, nl.tensor([[0], [5], [1], [2]])).prod() + x.cumsum(0).norm()
    z = z + nl.where(x > 0, x, x * x).logsumexp(0).sum() + (x @ x.t()).trace()
    z = z + nl.einsum("ij,ij->i", x, x).sum() + x.topk(2, dim=1).values.sum()
    assert check_frees(z, [x, idx]) > 0


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_table_op_frees_its_graph(name):
    fn, shapes, domain = OPS[name]
    xs = nl_inputs(make_inputs(shapes, domain))
    y = fn(nl, *xs)
    roots = _roots(y)
    y.sum().backward()
    assert leftover(roots, xs) == {}, f"{name}: kept after backward by {holders(roots, xs)}"

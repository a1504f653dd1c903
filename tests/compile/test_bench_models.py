"""Captured steps are bit-identical to eager on the benchmark's models (bench/bench_train.py):
BatchNorm MLPs trained with SGD-momentum and Adam, compiled as a module and as a whole step."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import nn, optim
from tests.compile.harness import assert_same, batches_for, compare_modes, train

WORKLOADS = {
    # as bench/bench_train.py; large is cut to a few steps
    "small": (64, (128, 128), 10, 64),
    "mid": (784, (512, 256), 10, 256),
    "large": (1024, (2048, 2048), 10, 512),
    "tiny-batch": (784, (512, 256), 10, 16),
}
OPTS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9),
    "adam": lambda ps: optim.Adam(ps, lr=1e-3),
}


@pytest.mark.parametrize("opt", sorted(OPTS))
@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_bench_model_bit_identical(workload, opt):
    n_in, hidden, n_cls, batch = WORKLOADS[workload]
    steps = 2 if workload == "large" else 4
    nets = compare_modes(
        lambda: nn.MLP(n_in, hidden, n_cls, norm="batchnorm", activation="relu"),
        OPTS[opt], batches_for(n_in, n_cls, batch, count=2), steps=steps,
        modes=("module",) if workload == "large" else ("module", "function"),
    )
    st = nets["module"].compile_stats
    # the first call records, every later one replays: the captured path really ran
    assert (st.records, st.replays, st.eager) == (1, steps - 1, 0), st


def test_helper_detects_a_difference():
    """The comparison fails on a wrong input (a run with another learning rate)."""
    b = batches_for(8, 3, 16)
    make = lambda: nn.Sequential(nn.Linear(8, 3))
    _, sa, _ = train(make, lambda ps: optim.SGD(ps, lr=0.1), b, 2, "eager")
    _, sb, _ = train(make, lambda ps: optim.SGD(ps, lr=0.1000001), b, 2, "module")
    with pytest.raises(AssertionError):
        assert_same(sa, sb)
    with pytest.raises(AssertionError):
        assert_same([1.0, 2.0], [1.0, np.nextafter(2.0, 3.0)])


def _calls(fn):
    """{function name: call count} of the Python-level calls inside ``fn()`` (cProfile)."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    counts = {}
    for (file, _, name), (_, ncalls, *_rest) in pstats.Stats(prof).stats.items():
        if "nnlite" in file:
            counts[name] = counts.get(name, 0) + ncalls
    return counts


@pytest.mark.parametrize("depth", [2, 5])
def test_replay_creates_no_per_op_objects(depth):
    """A replay wraps one Tensor for the result and builds one node, whatever the depth: no op
    function, no per-op graph node, no engine walk inside the module."""
    model = nnlite.compile(nn.MLP(16, (32,) * depth, 4, norm="batchnorm"))
    x = nnlite.randn(8, 16)
    model(x).sum().backward()  # records
    out = None

    def step():
        nonlocal out
        out = model(x)

    calls = _calls(step)
    assert type(out.grad_fn).__name__ == "CompiledFunctionBackward"
    assert calls.get("_wrap") == 1, calls
    for op_fn in ("linear", "relu", "batch_norm", "record", "run_backward"):
        assert op_fn not in calls, (op_fn, calls)
    calls_bwd = _calls(lambda: out.sum().backward())
    # one engine walk for the whole model: sum's node, the compiled node, then the leaves
    n_params = len(list(model.parameters()))
    assert calls_bwd.get("run_backward") == 1, calls_bwd
    # functions named backward: Tensor.backward, sum's node, the compiled node and its buffer
    # set's; an eager walk would add one per op node (11 at depth 2), so no more than 5
    assert calls_bwd.get("backward", 0) <= 5, calls_bwd
    assert calls_bwd.get("_accumulate") == n_params, calls_bwd

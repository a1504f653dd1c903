"""autograd.profiler: a real profile of nnlite's ops, zero wrapping outside it."""

import json

import pytest

import nnlite
from nnlite.autograd import profiler as P


def _step(T):
    T.manual_seed(0)
    m = T.nn.Sequential(T.nn.Linear(8, 16), T.nn.ReLU(), T.nn.Linear(16, 2))
    x = T.randn(4, 8)
    loss = T.nn.functional.cross_entropy(m(x), T.tensor([0, 1, 1, 0]))
    loss.backward()
    return x


def _wrapped_names():
    return [(getattr(ns, "__name__", ns), attr) for ns, attr, _ in P._bindings()
            if hasattr(getattr(ns, attr), "_nnlite_profiled")]


def test_profile_records_ops_nodes_shapes_and_ranges():
    with P.profile(record_shapes=True) as prof:
        with P.record_function("my_range"):
            x = _step(nnlite)
        for _ in range(3):
            y = x @ x.T
        y = y + 1
        _ = nnlite.mul(y, 2)
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["aten::matmul"].count == 3 and avg["aten::linear"].count == 2
    assert avg["aten::relu"].count == 1  # F.relu -> op relu is one event, as in torch
    assert {"ReluBackward0", "NllLossBackward0", "aten::add", "aten::mul"} <= avg.keys()
    rng = avg["my_range"]
    assert rng.cpu_time_total >= avg["aten::linear"].cpu_time_total
    assert rng.self_cpu_time_total < rng.cpu_time_total  # children are not its own time
    shaped = {(e.key, str(e.input_shapes))
              for e in prof.key_averages(group_by_input_shape=True)}
    assert ("aten::matmul", "[[4, 8], [8, 4]]") in shaped
    assert ("aten::linear", "[[4, 8], [16, 8], [16]]") in shaped
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    lines = table.splitlines()
    assert "Self CPU %" in lines[1] and "# of Calls" in lines[1]
    assert lines[3].split()[0] == "my_range" and len(lines) == 3 + 3 + 2
    assert lines[-1].startswith("Self CPU time total: ")
    with pytest.raises(AttributeError, match="cannot sort by"):
        prof.key_averages().table(sort_by="bogus")


def test_nothing_is_wrapped_or_recorded_outside_a_profile(tmp_path):
    assert _wrapped_names() == []
    with P.profile() as prof:
        assert len(_wrapped_names()) > 300  # torch.*, Tensor methods, F.*, nn._ops
        _step(nnlite)
    n = len(prof.events())
    assert _wrapped_names() == []
    _step(nnlite)
    assert len(prof.events()) == n
    with pytest.raises(ValueError):
        with P.profile():
            raise ValueError("inside")
    assert _wrapped_names() == []
    prof.export_chrome_trace(str(tmp_path / "t.json"))
    trace = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    assert len(trace) == n and trace[0]["ph"] == "X"
    with P.profile(enabled=False) as off:
        _step(nnlite)
    assert len(off.events()) == 0


def test_event_names_match_torchs_for_common_ops():
    torch = pytest.importorskip("torch")
    with torch.autograd.profiler.profile(record_shapes=True) as tp:
        x = _step(torch)
        (x @ x.T).sum()
    with nnlite.autograd.profiler.profile(record_shapes=True) as np_:
        x = _step(nnlite)
        (x @ x.T).sum()
    common = {"aten::linear", "aten::relu", "aten::matmul", "aten::sum", "aten::cross_entropy"}
    t_keys = {e.key for e in tp.key_averages()}
    n_keys = {e.key for e in np_.key_averages()}
    assert (common - {"aten::cross_entropy"}) <= t_keys and common <= n_keys
    assert "ReluBackward0" in t_keys and "ReluBackward0" in n_keys


def test_torch_profiler_form_through_the_shim():
    from nnlite import compat

    with compat.torch_is_nnlite():
        import torch
        from torch.profiler import ProfilerActivity, profile, record_function

        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            with record_function("model_inference"):
                torch.ones(3).exp().sum()
        keys = [e.key for e in prof.key_averages()]
        assert "model_inference" in keys and "aten::exp" in keys
        assert torch.autograd.profiler.profile is profile

"""nnlite.save / nnlite.load: pickle-free round trips, PyTorch interop, atomic writes."""

import io
import os

import numpy as np
import pytest

import nnlite
from nnlite import serialization


def test_nested_round_trip_keeps_types_and_int_keys():
    obj = {
        "state": {0: {"step": 3, "exp_avg": nnlite.ones(2)}, 1: {"step": 3.5}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "x": None,
                          "nan": float("nan"), "flag": True}],
        "scalar": nnlite.tensor(7),
        "name": "adamw",
    }
    buf = io.BytesIO()
    nnlite.save(obj, buf)
    back = nnlite.load(io.BytesIO(buf.getvalue()))
    assert list(back["state"]) == [0, 1] and back["state"][0]["step"] == 3
    assert back["state"][0]["exp_avg"].tolist() == [1.0, 1.0]
    g = back["param_groups"][0]
    assert g["betas"] == (0.9, 0.999) and g["x"] is None and g["flag"] is True
    assert np.isnan(g["nan"])
    assert back["scalar"].shape == () and back["scalar"].dtype == nnlite.int64
    assert back["name"] == "adamw"
    assert b"pickle" not in buf.getvalue() and b"\x80\x04" not in buf.getvalue()[:64]


def test_rng_state_round_trip():
    nnlite.manual_seed(5)
    state = nnlite.get_rng_state()
    buf = io.BytesIO()
    nnlite.save({"rng": state}, buf)
    a = nnlite.rand(3).tolist()
    nnlite.set_rng_state(nnlite.load(io.BytesIO(buf.getvalue()))["rng"])
    assert nnlite.rand(3).tolist() == a


def test_refuses_objects_that_would_need_pickle():
    with pytest.raises(TypeError, match="no pickle"):
        nnlite.save({"f": object()}, io.BytesIO())


def test_flat_state_dict_loads_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    sd = {"0.weight": nnlite.randn(3, 2), "0.bias": nnlite.zeros(3),
          "1.num_batches_tracked": nnlite.tensor(4)}
    nnlite.save(sd, tmp_path / "m.safetensors")
    loaded = load_file(str(tmp_path / "m.safetensors"))
    assert set(loaded) == set(sd)
    assert loaded["1.num_batches_tracked"].shape == torch.Size([])
    np.testing.assert_array_equal(loaded["0.weight"].numpy(), sd["0.weight"].numpy())
    # and a file written by safetensors.torch loads here
    from safetensors.torch import save_file

    save_file({"w": torch.ones(2, 2)}, str(tmp_path / "t.safetensors"))
    assert nnlite.load(tmp_path / "t.safetensors")["w"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "ck.safetensors"
    nnlite.save({"a": nnlite.ones(2)}, path)
    before = path.read_bytes()

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(serialization.os, "replace", fail)
    with pytest.raises(OSError):
        nnlite.save({"a": nnlite.zeros(2)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.safetensors"]  # no temporary file left behind


def test_load_rejects_garbage(tmp_path):
    (tmp_path / "x").write_bytes(b"\x00" * 4)
    with pytest.raises(RuntimeError, match="not an nnlite"):
        nnlite.load(tmp_path / "x")

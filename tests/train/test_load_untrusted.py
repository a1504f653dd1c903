"""nnlite.load on hostile files: the header is checked before tensor data is read, the metadata
structure against its schema with a depth limit, unsupported dtypes refused naming the file."""

import io
import json
import os
import pickle
import struct
import time

import numpy as np
import pytest
import safetensors.numpy as stn

import nnlite


def _file(tmp_path, data: bytes, name="bad.safetensors") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _with_structure(structure) -> bytes:
    doc = json.dumps({"format": 1, "structure": structure})
    return stn.save({"a": np.zeros(2, np.float32)}, metadata={"nnlite": doc})


def _good() -> bytes:
    buf = io.BytesIO()
    nnlite.save({"w": nnlite.ones(3), "n": 2, "e": nnlite.zeros(0)}, buf)
    return buf.getvalue()


def test_dev_zero_is_refused_at_once():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="'/dev/zero'.*not a regular file"):
        nnlite.load("/dev/zero")
    assert time.perf_counter() - t0 < 5


def test_stream_of_zeros_is_refused_without_reading_it():
    class Zeros(io.RawIOBase):
        read_bytes = 0

        def readable(self):
            return True

        def readinto(self, b):
            Zeros.read_bytes += len(b)
            b[:] = bytes(len(b))
            return len(b)

    with pytest.raises(RuntimeError, match="header length is 0"):
        nnlite.load(io.BufferedReader(Zeros()))
    assert Zeros.read_bytes < 1 << 20


def test_lying_header_length_is_refused_before_reading_data(tmp_path):
    data = struct.pack("<Q", 10**12) + b"{}"
    with pytest.raises(RuntimeError, match="exceeds the 100000000-byte limit"):
        nnlite.load(_file(tmp_path, data))
    data = struct.pack("<Q", 5000) + b"{}" + bytes(10)
    with pytest.raises(RuntimeError, match="exceeds the file .* truncated"):
        nnlite.load(_file(tmp_path, data))


def test_a_stream_claiming_huge_data_grows_with_what_arrives():
    header = json.dumps({"a": {"dtype": "F32", "shape": [2**40], "data_offsets": [0, 2**42]}})
    raw = header.encode()
    data = struct.pack("<Q", len(raw)) + raw + bytes(64)
    with pytest.raises(RuntimeError, match="truncated: the header describes 4398046511104 bytes"):
        nnlite.load(io.BytesIO(data))


@pytest.mark.parametrize("cut", [0, 4, 8, 20, -1])
def test_truncated_and_empty_files_name_the_file(tmp_path, cut):
    good = _good()
    path = _file(tmp_path, good[:cut] if cut else b"")
    with pytest.raises(RuntimeError, match=f"'{path}'"):
        nnlite.load(path)


def test_trailing_bytes_and_overlapping_offsets(tmp_path):
    with pytest.raises(RuntimeError, match="unexpected bytes"):
        nnlite.load(_file(tmp_path, _good() + b"x"))
    header = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
    with pytest.raises(RuntimeError, match="overlap"):
        nnlite.load(_file(tmp_path, struct.pack("<Q", len(header)) + header + bytes(12)))
    header = json.dumps({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}).encode()
    with pytest.raises(RuntimeError, match="needs 12 bytes"):
        nnlite.load(_file(tmp_path, struct.pack("<Q", len(header)) + header + bytes(8)))


def test_pickle_and_torch_zip_get_a_hint(tmp_path):
    with pytest.raises(RuntimeError, match="looks like a pickle.*never loads"):
        nnlite.load(_file(tmp_path, pickle.dumps({"w": [1.0] * 100})))
    with pytest.raises(RuntimeError, match="zip archive"):
        nnlite.load(_file(tmp_path, b"PK\x03\x04" + bytes(60)))


def test_complex_dtype_is_refused_at_load_naming_the_file(tmp_path):
    path = _file(tmp_path, stn.save({"z": np.zeros(2, np.complex64)}))
    with pytest.raises(RuntimeError, match=r"bad.safetensors.*'z' has dtype 'C64'.*supported"):
        nnlite.load(path)
    with pytest.raises(TypeError, match="complex64"):
        nnlite.save({"z": np.zeros(2, np.complex64)}, io.BytesIO())


@pytest.mark.parametrize("structure, fragment", [
    ({"L": {"a": 1}}, "tag 'L' with a mapping"),
    ({"D": [[1]]}, "expected \\[key, value\\]"),
    ({"D": {"a": 1}}, "tag 'D' with a mapping"),
    ({"T": "nope"}, "tensor 'nope' that the file does not hold"),
    ({"T": "a", "x": 1}, "keys"),
    ({"F": "1e400"}, "tag 'F'"),
    ({"Q": []}, "tag 'Q'"),
    ([1, 2], "a list"),
])
def test_malformed_structure_is_refused(tmp_path, structure, fragment):
    with pytest.raises(RuntimeError, match=fragment):
        nnlite.load(_file(tmp_path, _with_structure(structure)))


def test_deep_nesting_is_refused_without_recursion_error(tmp_path):
    for depth in (65, 100_000):
        doc = '{"format": 1, "structure": ' + '{"L": [' * depth + "]}" * depth + "}"
        data = stn.save({"a": np.zeros(1, np.float32)}, metadata={"nnlite": doc})
        with pytest.raises(RuntimeError, match="nested"):
            nnlite.load(_file(tmp_path, data))
    doc = '{"format": 1, "structure": ' + '{"L": [' * 60 + "]}" * 60 + "}"
    data = stn.save({"a": np.zeros(1, np.float32)}, metadata={"nnlite": doc})
    out = nnlite.load(_file(tmp_path, data))
    for _ in range(59):
        out = out[0]
    assert out == []


def test_wrong_format_and_bad_metadata(tmp_path):
    data = stn.save({"a": np.zeros(1, np.float32)}, metadata={"nnlite": "[1"})
    with pytest.raises(RuntimeError, match="not JSON"):
        nnlite.load(_file(tmp_path, data))
    data = stn.save({"a": np.zeros(1, np.float32)},
                    metadata={"nnlite": json.dumps({"format": 9, "structure": None})})
    with pytest.raises(RuntimeError, match="format"):
        nnlite.load(_file(tmp_path, data))


def test_valid_files_still_load(tmp_path):
    back = nnlite.load(io.BytesIO(_good()))
    assert back["w"].tolist() == [1.0, 1.0, 1.0] and back["n"] == 2 and back["e"].shape == (0,)
    back["w"].add_(1)  # loaded tensors are writable
    assert back["w"].tolist() == [2.0, 2.0, 2.0]
    plain = stn.save({"x": np.arange(6, dtype=np.int64).reshape(2, 3),
                      "h": np.ones(3, np.float16), "b": np.array([True, False])})
    back = nnlite.load(_file(tmp_path, plain))
    assert back["x"].tolist() == [[0, 1, 2], [3, 4, 5]] and back["x"].dtype == nnlite.int64
    assert back["h"].dtype == nnlite.float16 and back["b"].tolist() == [True, False]


def test_save_refuses_nesting_deeper_than_load_accepts():
    obj = []
    for _ in range(70):
        obj = [obj]
    with pytest.raises(ValueError, match="nested deeper"):
        nnlite.save(obj, io.BytesIO())

"""Fuzzing the CSV and NPZ loaders: over a few hundred generated files, each gives a correct load
or one ``DataFileError`` line naming the problem, never another exception."""

import io
import os
import tempfile
import zipfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nnlite.data.datasets import load_dataset  # noqa: E402
from nnlite.data.tabular import DataFileError, read_csv, read_npz  # noqa: E402

FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

numbers = st.one_of(st.integers(-1000, 1000).map(str),
                    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr))
odd = st.sampled_from(["", "nan", "NA", "inf", "-inf", "1e400", "abc", "?", '"q"', '"1,5"',
                       " 7 ", "x" * 200, "1" * 140000, "\x00", "é", "#c", "1;2", "\t"])
cell = st.one_of(numbers, numbers, numbers, odd)


@st.composite
def csv_files(draw):
    delim = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    ncol = draw(st.integers(1, 5))
    nrow = draw(st.integers(0, 8))
    clean = draw(st.booleans())
    header = draw(st.booleans())
    names = [f"c{j}" for j in range(ncol - 1)] + ["y"]
    rows = []
    for _ in range(nrow):
        width = ncol if clean or draw(st.integers(0, 5)) else draw(st.integers(0, ncol + 2))
        rows.append([draw(numbers if clean else cell) for _ in range(width)])
    lines = ([delim.join(names)] if header else []) + [delim.join(r) for r in rows]
    if not clean and draw(st.booleans()):
        lines = [line + delim for line in lines]  # trailing delimiters
    if not clean and draw(st.booleans()):
        lines.insert(0, f"{nrow},{ncol - 1},a,b")  # a metadata line, maybe lying
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))
    expect = None
    if clean and nrow and ncol > 1 and (header or delim != " "):
        expect = (np.array([[float(v) for v in r] for r in rows]), header)
    return text, expect


def _check_error(e: DataFileError):
    msg = str(e)
    assert msg and "\n" not in msg and e.key in ("path", "target", "missing", "task", "split",
                                                  "classes"), (e.key, msg)


@FUZZ
@given(csv_files(), st.sampled_from(["error", "drop", "mean"]),
       st.sampled_from([None, -1, 0, "y", False]))
def test_csv_loader_loads_correctly_or_gives_one_line_error(case, missing, target):
    text, expect = case
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "f.csv")
        with open(path, "w", newline="") as fh:
            fh.write(text)
        try:
            t = read_csv(path, target, missing=missing)
        except DataFileError as e:
            _check_error(e)
            t = None
        if t is not None:
            assert t.x.ndim == 2 and t.x.shape[1] >= 1 and len(t.x) >= 1
            assert t.x.dtype == np.float64
            assert missing == "mean" or np.isfinite(t.x).all()
            assert not np.isinf(t.x).any()
            if t.y is not None:
                assert len(t.y) == len(t.x)
                if t.y.dtype.kind == "f":
                    assert np.isfinite(t.y).all()
                else:
                    assert all(v.strip() for v in t.y)
            if expect is not None and target in (-1, "y", None):
                values, _ = expect
                np.testing.assert_array_equal(t.x, values[:, :-1])
                np.testing.assert_array_equal(t.y, values[:, -1])
        elif expect is not None and target in (-1, "y") and expect[1]:
            raise AssertionError(f"a clean file was refused: {text!r}")
        try:
            load_dataset("csv", path=path, target=target if target is not False else None,
                         missing=missing, val=0.2, test=0.2, seed=0)
        except DataFileError as e:
            _check_error(e)


@st.composite
def npz_files(draw):
    n = draw(st.integers(0, 6))
    xshape = draw(st.sampled_from([(n,), (n, 0), (n, 2), (n, 2, 2), ()]))
    xdtype = draw(st.sampled_from(["f8", "f4", "i4", "u1", "?", "c8", "U3", "f2"]))
    ylen = draw(st.sampled_from([n, max(n - 1, 0), n + 1]))
    yshape = draw(st.sampled_from([(ylen,), (ylen, 1), (ylen, 2), (ylen, 2, 1)]))
    ydtype = draw(st.sampled_from(["i8", "f8", "U2", "c16", "?"]))
    fill = draw(st.sampled_from([0.0, 1.5, np.nan, np.inf]))
    x = np.full(xshape, 1.0)
    if x.size:
        x.flat[0] = fill
    arrays = {draw(st.sampled_from(["x", "X", "data", "z"])): x.astype(xdtype)
              if xdtype[0] not in "U" else x.astype(str),
              draw(st.sampled_from(["y", "target", "labels", "w"])):
              (np.arange(int(np.prod(yshape))).reshape(yshape) % 2).astype(ydtype)}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    cut = draw(st.sampled_from([None, None, 0, 1, 30, len(data) // 2, len(data) - 1]))
    return data if cut is None else data[:cut]


@FUZZ
@given(npz_files(), st.sampled_from(["error", "drop", "mean"]))
def test_npz_loader_loads_correctly_or_gives_one_line_error(data, missing):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "f.npz")
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            t = read_npz(path, missing=missing)
        except DataFileError as e:
            _check_error(e)
            return
        with np.load(path) as f:  # the file was valid: what came back is what it holds
            xkey = next(k for k in ("x", "X", "data", "features") if k in f.files)
            x = f[xkey]
        assert t.x.ndim == 2 and t.x.shape[1] >= 1 and len(t.x) == len(t.y) >= 1
        assert x.dtype.kind not in "cUSO"
        if missing == "error":
            np.testing.assert_array_equal(t.x, x.reshape(len(x), -1).astype(np.float64))
        try:
            load_dataset("npz", path=path, missing=missing, val=0, test=0)
        except DataFileError as e:
            _check_error(e)


def test_truncated_zip_is_a_real_zip_error():
    """The fuzz above truncates valid archives; make sure such a cut really is broken."""
    buf = io.BytesIO()
    np.savez(buf, x=np.ones((3, 2)), y=np.arange(3))
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(buf.getvalue()[:30]))

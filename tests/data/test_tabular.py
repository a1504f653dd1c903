"""CSV and NPZ files: layouts that real files have, and a clear one-line error for every
malformed one (the line, the column and the way out), never a traceback or a silent wrong task."""

import gzip
import os

import numpy as np
import pytest

from nnlite.data.datasets import load_dataset
from nnlite.data.tabular import DataFileError, read_csv, read_features, read_npz

sklearn = pytest.importorskip("sklearn")
SKLEARN_DATA = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data")


def _write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _error(fn, *args, **kw) -> DataFileError:
    with pytest.raises(DataFileError) as e:
        fn(*args, **kw)
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 400, msg
    return e.value


# ---- every CSV that scikit-learn ships -----------------------------------------------------------
def test_every_bundled_sklearn_csv_loads_with_its_target_or_says_why():
    from sklearn import datasets as skd

    files = sorted(f for f in os.listdir(SKLEARN_DATA) if ".csv" in f)
    assert len(files) >= 8, files
    tried = {}
    for f in files:
        path = os.path.join(SKLEARN_DATA, f)
        try:
            tried[f] = load_dataset("csv", path=path, seed=0)
        except DataFileError as e:
            tried[f] = e
    # the metadata-line sets: the right target and class names, as scikit-learn loads them
    for f, loader in (("breast_cancer.csv", skd.load_breast_cancer), ("iris.csv", skd.load_iris),
                      ("wine_data.csv", skd.load_wine)):
        d, ref = tried[f], loader()
        assert d.task == "classification", f
        assert d.class_names == list(ref.target_names), f
        assert d.n_features == ref.data.shape[1]
        full = read_csv(os.path.join(SKLEARN_DATA, f))
        np.testing.assert_array_equal(full.x, ref.data)
        np.testing.assert_array_equal(full.y, ref.target)
    # headerless files: the target column must be named, and then it loads
    for f in ("digits.csv.gz", "diabetes_data_raw.csv.gz"):
        assert isinstance(tried[f], DataFileError) and tried[f].key == "target", f
        assert "no header row" in str(tried[f])
    digits = read_csv(os.path.join(SKLEARN_DATA, "digits.csv.gz"), -1)
    ref = skd.load_digits()
    np.testing.assert_array_equal(digits.x, ref.data)
    np.testing.assert_array_equal(digits.y, ref.target)
    assert load_dataset("csv", path=os.path.join(SKLEARN_DATA, "digits.csv.gz"), target=-1
                        ).n_outputs == 10
    # a target-only file has no features
    assert "single column" in str(tried["diabetes_target.csv.gz"])
    # linnerud: a header, spaces between fields; the last column is the target, said in a note
    for f, target in (("linnerud_exercise.csv", "Jumps"), ("linnerud_physiological.csv",
                                                           "Pulse")):
        d = tried[f]
        assert d.target_name == target and d.n_features == 2 and d.task == "regression", f
        assert any("last column" in n for n in d.notes) and any("task:" in n for n in d.notes)
    assert set(tried) == set(files)


# ---- layouts ----------------------------------------------------------------------------------
@pytest.mark.parametrize("delim", [",", ";", "\t", "|", " "])
def test_delimiter_is_sniffed_and_header_detected(tmp_path, delim):
    rows = [[1.5, -2, 3e-3, 0], [4, 5.25, 6, 1], [7, 8, 9.5, 0], [1, 1, 1, 1]]
    text = delim.join(["a", "b", "c", "label"]) + "\n" + "\n".join(
        delim.join(str(v) for v in r) for r in rows) + "\n"
    t = read_csv(_write(tmp_path, text))
    assert t.feature_names == ["a", "b", "c"] and t.target_name == "label"
    np.testing.assert_array_equal(t.x, np.array(rows)[:, :3])
    np.testing.assert_array_equal(t.y, np.array(rows)[:, 3])


def test_quoted_fields_crlf_bom_blank_lines_and_text_labels(tmp_path):
    text = '\ufeff"x 1","x,2",kind\r\n\r\n1,2,cat\r\n"3",4, dog\r\n5,6,cat\r\n7,8,dog\r\n'
    p = _write(tmp_path, text)
    t = read_csv(p)
    assert t.feature_names == ["x 1", "x,2"]
    np.testing.assert_array_equal(t.x, [[1, 2], [3, 4], [5, 6], [7, 8]])
    assert list(t.y) == ["cat", "dog", "cat", "dog"]
    d = load_dataset("csv", path=p, val=0, test=0)
    assert d.task == "classification" and d.classes == ["cat", "dog"]


def test_gzip_and_header_over_text_label_column(tmp_path):
    p = tmp_path / "d.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("f1,f2,species\n" + "".join(f"{i},{i * 2},s{i % 2}\n" for i in range(10)))
    t = read_csv(str(p), "species")
    assert t.x.shape == (10, 2) and set(t.y) == {"s0", "s1"}


def test_headerless_file_needs_a_target_index(tmp_path):
    p = _write(tmp_path, "1,2,0\n3,4,1\n5,6,0\n")
    assert _error(read_csv, p).key == "target"
    t = read_csv(p, 2)
    assert t.target_name == "column 3" and t.x.shape == (3, 2)
    assert _error(read_csv, p, 7).key == "target"


# ---- missing and non-finite values ---------------------------------------------------------------
@pytest.mark.parametrize("cell", ["", "NA", "nan", "?", "N/A", "null"])
def test_missing_cell_is_named_by_line_and_column(tmp_path, cell):
    p = _write(tmp_path, f"a,b,y\n1,2,0\n3,{cell},1\n5,6,0\n")
    e = _error(read_csv, p)
    assert "line 3" in str(e) and "'b'" in str(e) and "data.missing" in str(e)
    t = read_csv(p, missing="drop")
    np.testing.assert_array_equal(t.x, [[1, 2], [5, 6]])
    assert any("dropped" in n for n in t.notes)
    t = read_csv(p, missing="mean")
    assert np.isnan(t.x[1, 1]) and t.x.shape == (3, 2)


def test_missing_mean_fills_with_the_training_split_mean(tmp_path):
    rows = "\n".join(f"{i},{'' if i % 5 == 0 else i * 10},{i % 2}" for i in range(40))
    p = _write(tmp_path, "a,b,y\n" + rows + "\n")
    d = load_dataset("csv", path=p, missing="mean", standardize=False, seed=0)
    # the fill value is the mean of b over the training rows where it was present
    train_a = d.x_train[:, 0].astype(int)
    present = [a * 10 for a in train_a if a % 5]
    np.testing.assert_allclose(d.x_fill[1], np.mean(present))
    assert not np.isnan(d.x_train).any() and not np.isnan(d.x_test).any()
    raw = np.array([[5.0, np.nan]])
    np.testing.assert_allclose(d.preprocess(raw), [[5.0, np.float32(d.x_fill[1])]])


@pytest.mark.parametrize("cell,what", [("inf", "not finite"), ("-inf", "not finite"),
                                       ("1e400", "not finite"), ("abc", "not a number"),
                                       ("1,5", "decimal comma")])
def test_non_finite_and_text_values_are_errors(tmp_path, cell, what):
    quoted = f'"{cell}"' if "," in cell else cell
    p = _write(tmp_path, f"a,b,y\n1,2,0\n3,4,1\n{quoted},6,0\n")
    for missing in ("error", "drop", "mean"):
        e = _error(read_csv, p, missing=missing)
        assert "line 4" in str(e) and "'a'" in str(e) and what in str(e), str(e)


def test_labels_must_be_present_and_of_one_kind(tmp_path):
    p = _write(tmp_path, "a,y\n1,0\n2,\n3,1\n")
    assert "label is missing" in str(_error(read_csv, p))
    assert read_csv(p, missing="drop").y.tolist() == [0, 1]
    p = _write(tmp_path, "a,y\n1,cat\n2,\n3,dog\n")
    assert "label is empty" in str(_error(read_csv, p))
    assert "label is empty" in str(_error(read_csv, p, missing="mean"))
    assert read_csv(p, missing="drop").y.tolist() == ["cat", "dog"]
    p = _write(tmp_path, "a,y\n1,0\n2,1\n3,abc\n4,1\n5,0\n")
    e = _error(read_csv, p)  # text among numeric labels is a broken cell, not a class
    assert "line 4" in str(e) and "'abc' is text" in str(e)


def test_text_feature_column_is_an_error(tmp_path):
    p = _write(tmp_path, "city,b,y\nParis,2,0\nRome,4,1\n")
    e = _error(read_csv, p)
    assert "line 2, column 1 ('city'): 'Paris' is not a number" in str(e)
    assert "only the target column may hold text" in str(e)


# ---- malformed files ----------------------------------------------------------------------------
@pytest.mark.parametrize("text,needle", [
    ("a,b\n1,2,3\n4,5,6\n", "header has 2 names but line 2 has 3"),
    ("a,b,y\n1,2,0,\n3,4,1,\n", "trailing delimiter"),
    ("a,b,y,\n1,2,0,\n3,4,1,\n", "no name"),
    ("1,2,0,\n3,4,1,\n", "trailing delimiter"),
    ("a,b,y\n1,2,0\n3,4\n5,6,1\n", "line 3 has 2 fields but the header has 3"),
    ("a,b,y\n1,2,0\n3,4,1,7\n", "line 3 has 4 fields"),
    ("a,a,y\n1,2,0\n", "twice"),
    ("", "is empty"),
    ("\n\n  \n", "is empty"),
    ("a,b,y\n", "no data rows"),
    ("y\n1\n2\n", "single column"),
    ("1\n2\n3\n", "single column"),
    ("kind,y\nx,0\nz,1\n", "may hold text"),
])
def test_malformed_csv_one_line_errors(tmp_path, text, needle):
    e = _error(read_csv, _write(tmp_path, text), "y" if "y" in text.split("\n")[0] else None)
    assert needle in str(e), str(e)


def test_zero_feature_columns_and_huge_field_and_binary(tmp_path):
    p = _write(tmp_path, "y\n0\n1\n")
    assert "single column" in str(_error(read_csv, p, "y"))
    p = _write(tmp_path, "a,y\n1,0\n" + "1" * 131073 + ",1\n2,0\n")
    e = _error(read_csv, p, "y")
    assert "line 3" in str(e)
    p = tmp_path / "bin.csv"
    p.write_bytes(b"a,y\n\xff\xfe,1\n")
    assert "UTF-8" in str(_error(read_csv, str(p)))
    p.write_bytes(b"a,y\n1\x00,1\n")
    assert "NUL" in str(_error(read_csv, str(p)))


def test_metadata_line_counts_are_checked(tmp_path):
    p = _write(tmp_path, "5,2,no,yes\n1,2,0\n3,4,1\n")
    assert "says 5 samples but the file has 2" in str(_error(read_csv, p))
    p = _write(tmp_path, "2,2,no,yes\n1,2,0\n3,4,2\n")
    assert "outside 0..1" in str(_error(read_csv, p))


def test_stratify_with_a_single_sample_class_is_a_clear_error(tmp_path):
    p = _write(tmp_path, "a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(20)) + "9,cat\n")
    p = _write(tmp_path, "a,y\n" + "".join(f"{i},c{i % 2}\n" for i in range(20)) + "9,lone\n")
    e = _error(load_dataset, "csv", path=p)
    assert e.key == "split" and "'lone'" in str(e)


def test_task_inference_from_integer_targets(tmp_path):
    p = _write(tmp_path, "a,y\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))
    d = load_dataset("csv", path=p, seed=0)
    assert d.task == "classification" and d.classes == [0, 1, 2]
    p = _write(tmp_path, "a,y\n" + "".join(f"{i},{i * 7}\n" for i in range(30)))
    d = load_dataset("csv", path=p, seed=0)
    assert d.task == "regression" and any("seen only once" in n for n in d.notes)
    p = _write(tmp_path, "a,y\n" + "".join(f"{i},{i / 7}\n" for i in range(30)))
    assert _error(load_dataset, "csv", path=p, task="classification").key == "task"


# ---- predicting on new files --------------------------------------------------------------------
def test_read_features_by_name_any_order_with_or_without_target(tmp_path):
    p = _write(tmp_path, "c,y,a,b\n3,0,1,2\n6,1,4,5\n")
    x, y = read_features(p, ["a", "b", "c"], "y")
    np.testing.assert_array_equal(x, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(y, [0, 1])
    p = _write(tmp_path, "b,a,c\n2,1,3\n")
    x, y = read_features(p, ["a", "b", "c"], "y")
    np.testing.assert_array_equal(x, [[1, 2, 3]]) and y is None
    assert "lacks the feature column(s) 'c'" in str(
        _error(read_features, _write(tmp_path, "a,b\n1,2\n"), ["a", "b", "c"], "y"))
    x, y = read_features(_write(tmp_path, "1,2,3\n4,5,6\n"), ["x0", "x1", "x2"])
    assert x.shape == (2, 3) and y is None
    assert "4 columns" in str(_error(read_features, _write(tmp_path, "1,2,3,4\n"), ["a"]))


# ---- NPZ ----------------------------------------------------------------------------------------
def test_npz_layouts_and_errors(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3))

    def save(**arrays):
        p = str(tmp_path / "d.npz")
        np.savez(p, **arrays)
        return p

    t = read_npz(save(x=x, y=np.arange(20)[:, None] % 2))
    assert t.y.shape == (20,)
    t = read_npz(save(x=x), False)  # features only, to predict on
    assert t.y is None and t.x.shape == (20, 3)
    t = read_npz(save(x=x.reshape(20, 3, 1), y=x[:, :2]))  # 2 regression targets
    assert t.x.shape == (20, 3) and t.y.shape == (20, 2)
    cases = [
        (dict(x=x + 1j, y=np.arange(20)), "complex"),
        (dict(x=x, y=(np.arange(40) % 2).reshape(20, 2)), "shape [20, 2]"),
        (dict(x=np.zeros((20, 0)), y=np.arange(20)), "zero feature columns"),
        (dict(x=x, y=np.arange(19)), "20 rows but 'y' has 19"),
        (dict(x=x.astype(str), y=np.arange(20)), "expected numbers"),
        (dict(x=np.where(np.eye(20, 3) > 0, np.inf, x), y=np.arange(20)), "finite"),
        (dict(x=np.where(np.eye(20, 3) > 0, np.nan, x), y=np.arange(20)), "data.missing"),
        (dict(x=x, y=np.where(np.arange(20) == 3, "", "a")), "empty label"),
        (dict(features=x), "expected arrays"),
        (dict(x=np.float64(1), y=np.arange(20)), "scalar"),
    ]
    for arrays, needle in cases:
        assert needle in str(_error(read_npz, save(**arrays))), needle
    t = read_npz(save(x=np.where(np.eye(20, 3) > 0, np.nan, x), y=np.arange(20)), missing="drop")
    assert len(t.x) == 17
    p = save(x=x, y=np.arange(20))
    data = open(p, "rb").read()
    for cut in (0, 10, len(data) // 2, len(data) - 5):
        q = tmp_path / f"cut{cut}.npz"
        q.write_bytes(data[:cut])
        assert "cannot read" in str(_error(read_npz, str(q)))
    q = tmp_path / "obj.npz"
    np.savez(q, x=np.array([{"a": 1}] * 3, dtype=object), y=np.arange(3))
    assert "Python objects" in str(_error(read_npz, str(q)))


@pytest.mark.parametrize("text", ["a,b,y\n1,2,0\n3,,1\n", "a,b,y\n1,nan,0\n3,4,1\n",
                                  "a,b,y\n1,2,0,\n3,4,1,\n", "y\n1\n2\n", "a;y\n1;\n2;1\n",
                                  "a,b\n1,2,3\n"])
def test_malformed_files_through_the_cli_exit_2_with_one_line(tmp_path, capsys, text):
    from nnlite.train.cli import main

    p = _write(tmp_path, text)
    rc = main(["--dry-run", "--quiet", "--set", "data.name=csv", "--set", f"data.path={p}",
               "--set", "data.target=y" if "y" in text else "data.target=-1",
               os.path.join(os.path.dirname(__file__), "..", "..", "configs", "mlp.yaml")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("nnlite-train: error: data.") and "\n" not in err, err

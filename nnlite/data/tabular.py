"""Reading tabular data files: CSV (and .csv.gz) and NPZ, checked before they are trusted.

``read_csv`` detects the layout from the first lines (delimiter among ``, ; TAB |`` and
whitespace, a header row, scikit-learn's leading metadata line ``n_samples,n_features,class
names...``), then parses the whole file with ``np.loadtxt`` (C speed, one float64 array). Only
when that fast path meets a problem does a second, Python-level pass read the file row by row:
it either handles the missing cells as asked (``missing="drop"`` or ``"mean"``) or raises a
``DataFileError`` that names the line, the column (by header name where there is one) and the
way out. Every malformed file gives one such one-line error, never a traceback:

    >>> t = read_csv("sklearn/datasets/data/iris.csv")
    >>> t.x.shape, t.class_names
    ((150, 4), ['setosa', 'versicolor', 'virginica'])

Values must be finite: ``nan`` and the missing-value tokens (empty, ``NA``, ``N/A``, ``?``,
``null``, ``None``) count as missing, ``inf`` and overflowing numbers (``1e400``) are errors.
``missing="mean"`` leaves missing feature cells as NaN: the caller fills them with the training
split's column means (see ``nnlite.data.datasets.load_dataset``), so that a deployed model can
fill them in the same way.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "?", "null", "none", "-"})
MISSING_POLICIES = ("error", "drop", "mean")
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50
MAX_FIELD = 131072  # the csv module's field limit: longer fields are refused, naming the line


class DataFileError(ValueError):
    """A data file that cannot be used; ``key`` is the config key to fix (``path``, ``target``,
    ``missing``), the message names the file, line and column."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass
class Table:
    """Features ``x`` (float64, NaN where a cell was missing and ``missing="mean"``), the target
    ``y`` (float64 values, or an array of strings for text labels; None without a target) and
    what the file said about them."""

    x: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str | None
    class_names: list[str] | None = None  # from scikit-learn's metadata line: y indexes these
    notes: list[str] = field(default_factory=list)


@dataclass
class Layout:
    delimiter: str | None  # None: runs of whitespace
    skip: int  # lines before the first data row (metadata line, header)
    header: list[str] | None
    meta: tuple[int, int, list[str]] | None  # (n_samples, n_features, class names)
    ncol: int
    text_cols: set  # columns whose sampled values are not numbers


# ---- reading lines ----------------------------------------------------------------------------
def _open_text(path: str):
    opener = gzip.open if path.endswith(".gz") else open
    return opener(path, "rt", encoding="utf-8-sig", newline="")


def _head(path: str) -> list[tuple[int, str]]:
    """The first non-empty lines with their 1-based line numbers."""
    lines = []
    try:
        with _open_text(path) as fh:
            for number in range(1, _SNIFF_LINES * 4 + 1):
                line = fh.readline(MAX_FIELD * 4)
                if not line:
                    break
                if "\x00" in line:
                    raise DataFileError("path", f"{path} is not a text file (it holds NUL "
                                        "bytes): give a CSV file")
                if line.strip():
                    lines.append((number, line.rstrip("\r\n")))
                if len(lines) >= _SNIFF_LINES:
                    break
    except UnicodeDecodeError as e:
        raise DataFileError("path", f"{path} is not UTF-8 text (byte {e.start}): save it as "
                            "UTF-8 CSV") from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataFileError("path", f"cannot read {path}: {e}") from None
    return lines


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING_TOKENS


def _sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits the sampled lines into the same number (> 1) of fields, most
    of them numbers; None for whitespace-separated files."""
    best, best_score = ",", (0, 0, 0)
    sample = lines[1:] if len(lines) > 2 else lines  # a metadata or header line may differ
    for d in (*_DELIMITERS, None):
        try:
            rows = [_split(line, d) for line in sample]
        except csv.Error:
            continue
        counts = [len(r) for r in rows]
        width = max(set(counts), key=counts.count)
        if width < 2:
            continue
        consistent = sum(c == width for c in counts)
        numeric = sum(_is_number(v) for r in rows for v in r)
        score = (consistent == len(rows), numeric, width)
        if score > best_score:
            best, best_score = d, score
    return best


def sniff(path: str, delimiter: str | None = None, header: bool | None = None) -> Layout:
    """Detect the layout of a CSV file from its first lines (see the module docstring)."""
    numbered = _head(path)
    if not numbered:
        raise DataFileError("path", f"{path} is empty")
    lines = [line for _, line in numbered]
    d = delimiter if delimiter is not None else _sniff_delimiter(lines)
    if d == " ":
        d = None
    rows = []
    for number, line in numbered:
        try:
            rows.append(_split(line, d))
        except csv.Error as e:
            raise DataFileError("path", f"{path}: line {number}: {_csv_problem(e)}") from None
    first_data, meta = 0, None
    if len(rows) > 1 and _metadata(rows[0], rows[1]):
        first = rows[0]
        meta = (int(first[0]), int(first[1]), [c.strip() for c in first[2:]])
        first_data = 1
    if header is None:
        header = _looks_like_header(rows[first_data:])
    names = None
    if header:
        names = [h.strip() for h in rows[first_data]]
        first_data += 1
    rows = rows[first_data:]
    if not rows:
        raise DataFileError("path", f"{path} has no data rows")
    skip = numbered[first_data][0] - 1  # raw lines before the first data row
    ncol = len(rows[0])
    if names is not None:
        _check_header(path, names, ncol, numbered[first_data][0])
    elif ncol > 1 and all(len(r) == ncol and not r[-1].strip() for r in rows):
        raise DataFileError("path", f"{path}: every row ends with an empty field (a trailing "
                            "delimiter?): remove it")
    text_cols = {j for j in range(ncol)
                 if any(len(r) == ncol and not _is_number(r[j]) and not _is_missing(r[j])
                        for r in rows)}
    return Layout(d, skip, names, meta, ncol, text_cols)


def _metadata(first: list[str], second: list[str]) -> bool:
    """scikit-learn's first line: ``n_samples,n_features[,class names]`` whose n_features is
    the width of the data rows minus the target column."""
    if len(first) < 2 or not all(v.strip().isdigit() for v in first[:2]):
        return False
    if int(first[1]) != len(second) - 1:
        return False
    names = first[2:]
    return (len(first) == 2 and len(second) > 2) or bool(names) and not any(
        _is_number(v) for v in names)


def _looks_like_header(rows: list[list[str]]) -> bool:
    """A first row with a text cell in a column whose other sampled values are numbers."""
    if len(rows) < 2:
        return not all(_is_number(v) or _is_missing(v) for v in rows[0])
    first, rest = rows[0], rows[1:]
    for j, v in enumerate(first):
        if _is_number(v) or _is_missing(v):
            continue
        values = [r[j] for r in rest if j < len(r) and not _is_missing(r[j])]
        if values and sum(_is_number(x) for x in values) * 2 >= len(values):
            return True
    # every column is text: a header if no sampled row repeats its exact values
    return all(not _is_number(v) for v in first) and all(
        not _is_number(v) for r in rest for v in r) and len(set(first)) == len(first) and \
        not any(r == first for r in rest)


def _check_header(path: str, names: list[str], ncol: int, line: int) -> None:
    if len(names) != ncol:
        raise DataFileError("path", f"{path}: the header has {len(names)} names but line "
                            f"{line} has {ncol} fields" + _trailing_hint(names, ncol))
    for j, n in enumerate(names):
        if not n:
            raise DataFileError("path", f"{path}: column {j + 1} of the header has no name"
                                + (" (a trailing delimiter? remove it)" if j == ncol - 1
                                   else ""))
    seen = set()
    for n in names:
        if n in seen:
            raise DataFileError("path", f"{path}: the header names column '{n}' twice")
        seen.add(n)


def _trailing_hint(names, ncol) -> str:
    return " (a trailing delimiter at the end of the rows? remove it)" if ncol == len(names) + 1 \
        else ""


# ---- the whole file -----------------------------------------------------------------------------
def _col_name(layout: Layout, j: int) -> str:
    if layout.header is not None:
        return f"column {j + 1} ('{layout.header[j]}')"
    return f"column {j + 1}"


def _fast_load(path: str, layout: Layout, text_col: int | None):
    """The whole file as float64 through np.loadtxt; None when anything is off (the slow pass
    then finds and names it). A text target column is mapped to codes on the fly."""
    codes: dict[str, int] = {}
    converters = None
    if text_col is not None:
        def code(s):
            s = s.strip()
            if _is_missing(s):
                raise ValueError("missing label")
            return codes.setdefault(s, len(codes))

        converters = {text_col: code}
    kw = {} if layout.delimiter is None else {"quotechar": '"'}
    try:
        data = np.loadtxt(path, delimiter=layout.delimiter, skiprows=layout.skip,
                          dtype=np.float64, comments=None, ndmin=2, encoding="utf-8-sig",
                          converters=converters, **kw)
    except (ValueError, IndexError, TypeError, OSError, EOFError, UnicodeDecodeError):
        return None
    if data.shape[1] != layout.ncol or not np.isfinite(data).all():
        return None
    labels = None
    if text_col is not None:
        names = np.array(list(codes), dtype=str)
        labels = names[data[:, text_col].astype(np.int64)]
    return data, labels


def _rows(path: str, layout: Layout):
    """(line number, fields) of every non-empty data row; csv errors name the line."""
    try:
        with _open_text(path) as fh:
            if layout.delimiter is None:
                for i, line in enumerate(fh, 1):
                    if i <= layout.skip:
                        continue
                    if len(line) > MAX_FIELD * 4:
                        raise DataFileError("path", f"{path}: line {i} is longer than "
                                            f"{MAX_FIELD * 4} characters")
                    fields = line.split()
                    if fields:
                        yield i, fields
                return
            reader = csv.reader(fh, delimiter=layout.delimiter, skipinitialspace=True)
            try:
                for r in reader:
                    if reader.line_num <= layout.skip:
                        continue
                    if r and any(v.strip() for v in r) or len(r) > 1:
                        yield reader.line_num, r
            except csv.Error as e:
                raise DataFileError("path", f"{path}: line {reader.line_num + 1}: "
                                    f"{_csv_problem(e)}") from None
    except UnicodeDecodeError as e:
        raise DataFileError("path", f"{path} is not UTF-8 text (byte {e.start}): save it as "
                            "UTF-8 CSV") from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataFileError("path", f"cannot read {path}: {e}") from None


def _slow_load(path: str, layout: Layout, text_col: int | None, missing: str,
               label_col: int | None):
    """Row by row: names the first problem, or handles missing cells as ``missing`` says.
    Returns (float64 data with NaN for missing cells, text labels or None, dropped rows)."""
    values, labels, dropped = [], [], 0
    hint = {"error": "; set data.missing: drop (skip such rows) or mean (fill with the "
                     "training mean)", "drop": "", "mean": ""}[missing]
    for line, r in _rows(path, layout):
        if len(r) != layout.ncol:
            extra = (" (a trailing delimiter? remove it)"
                     if len(r) == layout.ncol + 1 and not r[-1].strip() else "")
            what = "the header has" if layout.header is not None else "the first row has"
            raise DataFileError("path", f"{path}: line {line} has {len(r)} fields but {what} "
                                f"{layout.ncol}{extra}")
        row = np.empty(layout.ncol)
        skip_row = False
        for j, v in enumerate(r):
            if j == text_col:
                s = v.strip()
                if _is_missing(s):
                    if missing == "drop":
                        skip_row = True
                        continue
                    raise DataFileError("path", f"{path}: line {line}, {_col_name(layout, j)}: "
                                        f"the label is empty ({v.strip()!r}); every row needs "
                                        "a label (set data.missing: drop to skip such rows)")
                row[j] = 0.0
                labels.append(s)
                continue
            try:
                x = float(v)
            except ValueError:
                if not _is_missing(v):
                    raise DataFileError("path", f"{path}: line {line}, {_col_name(layout, j)}: "
                                        f"{_short(v)} is not a number"
                                        + _text_hint(v, j == label_col)) from None
                x = float("nan")
            if np.isinf(x):
                raise DataFileError("path", f"{path}: line {line}, {_col_name(layout, j)}: "
                                    f"{_short(v)} is not finite (values must be finite numbers)")
            if x != x:
                if missing == "error" or j == label_col:
                    if j == label_col and missing == "drop":
                        skip_row = True
                        continue
                    what = "label" if j == label_col else "value"
                    raise DataFileError("path", f"{path}: line {line}, {_col_name(layout, j)}: "
                                        f"the {what} is missing ({v.strip()!r})"
                                        + ("; every row needs a label (set data.missing: drop "
                                           "to skip such rows)" if j == label_col else hint))
                if missing == "drop":
                    skip_row = True
            row[j] = x
        if skip_row:
            dropped += 1
            if text_col is not None and len(labels) > len(values):
                labels.pop()
            continue
        values.append(row)
    if not values:
        raise DataFileError("path", f"{path} has no usable data rows"
                            + (f" ({dropped} dropped for missing values)" if dropped else ""))
    data = np.vstack(values)
    return data, (np.array(labels, dtype=str) if text_col is not None else None), dropped


def _csv_problem(e: csv.Error) -> str:
    text = str(e)
    if "field larger" in text:
        return f"a field is longer than {MAX_FIELD} characters"
    return text


def _short(v: str) -> str:
    v = v.strip()
    return repr(v if len(v) <= 40 else v[:37] + "...")


def _text_hint(v: str, is_label: bool) -> str:
    if "," in v and _is_number(v.replace(",", ".")):
        return " (a decimal comma? use '.' or a ';'-separated file)"
    if is_label:
        return " (the target column mixes numbers and text)"
    return " (only the target column may hold text: drop or encode this column)"


def _resolve_target(path: str, layout: Layout, target) -> int | None:
    ncol = layout.ncol
    if target is False:
        return None
    if target is None:
        if layout.header is None and layout.meta is None:
            raise DataFileError("target", f"{path} has no header row: say which column is the "
                                f"target with data.target (an index; -1 is the last of the "
                                f"{ncol} columns)")
        return ncol - 1
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        col = int(target) if target >= 0 else ncol + int(target)
        if not 0 <= col < ncol:
            raise DataFileError("target", f"column {target} is out of range: {path} has {ncol} "
                                "columns (0-based index; -1 is the last)")
        return col
    target = str(target)
    if layout.header is None or target not in layout.header:
        if target.lstrip("-").isdigit():
            return _resolve_target(path, layout, int(target))
        near = difflib.get_close_matches(target, layout.header or [], n=1)
        hint = f"; did you mean '{near[0]}'?" if near else (
            f"; columns are {layout.header}" if layout.header else
            "; the file has no header row (give the column's index)")
        raise DataFileError("target", f"no column named '{target}' in {path}{hint}")
    return layout.header.index(target)


def read_csv(path: str, target=None, *, missing: str = "error", delimiter: str | None = None,
             header: bool | None = None) -> Table:
    """Read a CSV file of numeric features and one target column.

    Args:
        path: the file (``.csv``, or ``.csv.gz``).
        target: the target column: a header name, a 0-based index (-1 the last), None for the
            last column (only when the file has a header or scikit-learn's metadata line:
            a headerless file must say which column it is) or False for no target column.
        missing: ``"error"`` (default): a missing cell is an error naming its line and column;
            ``"drop"``: skip rows with a missing cell; ``"mean"``: keep them with NaN in the
            missing feature cells (rows with a missing label are errors unless dropped).
        delimiter: default sniffed from the first lines (``,``, ``;``, tab, ``|`` or spaces).
        header: default detected (a first row of names over columns of numbers).

    Returns:
        A ``Table``. Text labels stay strings; labels from a metadata line index its
        ``class_names``.

    Raises:
        DataFileError: naming the file, line and column of the first problem.
    """
    if missing not in MISSING_POLICIES:
        raise DataFileError("missing", f"expected one of {', '.join(MISSING_POLICIES)}, got "
                            f"{missing!r}")
    if not os.path.isfile(path):
        raise DataFileError("path", f"file not found: {path!r}")
    layout = sniff(path, delimiter, header)
    if layout.ncol < 2 and target is not False:
        raise DataFileError("path", f"{path} has a single column: no feature columns besides "
                            "a target (is the delimiter right? is this a target-only file?)")
    col = _resolve_target(path, layout, target)
    if layout.ncol - (col is not None) < 1:
        raise DataFileError("path", f"{path} has only {layout.ncol} column(s): no feature "
                            "columns besides the target (is the delimiter right? is this a "
                            "target-only file?)")
    for j in sorted(layout.text_cols):
        if j != col:
            line, v = _first_text(path, layout, j)
            raise DataFileError("path", f"{path}: line {line}, {_col_name(layout, j)}: "
                                f"{_short(v)} is not a number" + _text_hint(v, False))
    text_col = col if col is not None and col in layout.text_cols else None
    loaded = _fast_load(path, layout, text_col)
    notes, dropped = [], 0
    if loaded is None:
        data, labels, dropped = _slow_load(path, layout, text_col, missing, col)
    else:
        data, labels = loaded
    if labels is not None:
        _check_label_kinds(path, layout, labels, text_col)
    if dropped:
        notes.append(f"{dropped} row(s) with missing values dropped (data.missing: drop)")
    names = layout.header or [f"x{j}" for j in range(layout.ncol)]
    feat = [j for j in range(layout.ncol) if j != col]
    x = data[:, feat] if col is not None else data
    if col is None:
        y = None
    elif text_col is not None:
        y = labels
    else:
        y = data[:, col].copy()
    class_names = None
    target_name = None if col is None else (names[col] if layout.header else f"column {col + 1}")
    if layout.meta is not None and col == layout.ncol - 1:
        class_names = _check_meta(path, layout, y, len(data) + dropped)
    if target is None and col is not None and layout.meta is None:
        notes.append(f"target: the last column '{target_name}' (set data.target to choose "
                     "another)")
    return Table(np.ascontiguousarray(x), y, [names[j] for j in feat], target_name,
                 class_names, notes)


def _first_text(path, layout, j, numbers=False) -> tuple[int, str]:
    """The first (line, value) of column ``j`` that is text (``numbers``: that is a number)."""
    for line, r in _rows(path, layout):
        if len(r) == layout.ncol and not _is_missing(r[j]) and _is_number(r[j]) == numbers:
            return line, r[j]
    return 0, ""


def _check_label_kinds(path, layout, labels, col) -> None:
    """Text labels mixed with numbers are a broken column, not extra classes."""
    kinds = [_is_number(v) for v in np.unique(labels)]
    if any(kinds) and not all(kinds):
        n_numeric = int(np.isin(labels, [v for v, k in zip(np.unique(labels), kinds) if k]).sum())
        odd_is_text = n_numeric * 2 >= len(labels)
        line, v = _first_text(path, layout, col, numbers=not odd_is_text)
        raise DataFileError("path", f"{path}: line {line}, {_col_name(layout, col)}: the label "
                            f"{_short(v)} is {'text' if odd_is_text else 'a number'} but most "
                            f"labels are {'numbers' if odd_is_text else 'text'}: fix that cell")


def _check_meta(path: str, layout: Layout, y, n_rows: int) -> list[str] | None:
    n_samples, _, names = layout.meta
    if n_samples != n_rows:
        raise DataFileError("path", f"{path}: the first line says {n_samples} samples but the "
                            f"file has {n_rows} data rows (truncated?)")
    if not names:
        return None
    if y.dtype.kind != "f" or np.any(np.mod(y, 1) != 0) or y.min() < 0 or y.max() >= len(names):
        raise DataFileError("path", f"{path}: the first line names {len(names)} classes but the "
                            f"last column holds values outside 0..{len(names) - 1}")
    return names


# ---- NPZ ----------------------------------------------------------------------------------------
def read_npz(path: str, target=None, *, missing: str = "error") -> Table:
    """Read features and target from an ``.npz`` file (``np.load(allow_pickle=False)``).

    Features are the array ``x`` (or ``X``, ``data``, ``features``), 1-D (one feature) or
    n-D (flattened per sample); the target is the array named ``target`` or ``y``
    (``target``, ``labels``; ``target=False``: features only, the target is optional):
    1-D, or (n, 1), or (n, k) float targets for a k-output regression. Numbers only (no complex,
    object or text features), finite unless ``missing`` says how to treat NaN.
    """
    if missing not in MISSING_POLICIES:
        raise DataFileError("missing", f"expected one of {', '.join(MISSING_POLICIES)}, got "
                            f"{missing!r}")
    if not os.path.isfile(path):
        raise DataFileError("path", f"file not found: {path!r}")
    try:
        with np.load(path, allow_pickle=False) as f:
            if not hasattr(f, "files"):
                raise DataFileError("path", f"{path} is a single .npy array, not an .npz "
                                    "archive of features and target")
            keys = list(f.files)
            ykey = target if isinstance(target, str) else next(
                (k for k in ("y", "target", "labels") if k in keys), None)
            xkey = next((k for k in ("x", "X", "data", "features") if k in keys and k != ykey),
                        None)
            if target is False and xkey is not None:  # features only (to predict on)
                ykey = None
            elif ykey not in keys or xkey is None:
                raise DataFileError("target", f"{path}: expected arrays for features ('x') and "
                                    f"target ('y' or data.target); the file has {keys}")
            x = f[xkey]
            y = f[ykey] if ykey is not None else np.zeros(len(x) if x.ndim else 0)
    except DataFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, io.UnsupportedOperation,
            RuntimeError) as e:
        text = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "allow_pickle" in text:
            text = "it holds Python objects, which are never loaded (save numeric arrays)"
        raise DataFileError("path", f"cannot read {path} as .npz: {text}") from None
    for name, a in ((xkey, x), (ykey, y)):
        if a.dtype.kind == "c":
            raise DataFileError("path", f"{path}: array '{name}' is complex ({a.dtype}); give "
                                "real numbers (e.g. split real and imaginary parts)")
        if a.dtype.kind not in "biuf" and not (name == ykey and a.dtype.kind in "US"):
            raise DataFileError("path", f"{path}: array '{name}' has dtype {a.dtype}; expected "
                                "numbers" + (" or text labels" if name == ykey else ""))
        if a.ndim == 0:
            raise DataFileError("path", f"{path}: array '{name}' is a scalar; expected one row "
                                "per sample")
    if len(x) == 0:
        raise DataFileError("path", f"{path}: array '{xkey}' has no rows")
    if x.ndim == 1:
        x = x[:, None]
    x = x.reshape(len(x), -1)
    if x.shape[1] == 0:
        raise DataFileError("path", f"{path}: array '{xkey}' has zero feature columns "
                            f"(shape {list(x.shape)})")
    if len(y) != len(x):
        raise DataFileError("path", f"{path}: '{xkey}' has {len(x)} rows but '{ykey}' has "
                            f"{len(y)}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim > 2 or (y.ndim == 2 and y.dtype.kind not in "f"):
        raise DataFileError("target", f"{path}: target '{ykey}' has shape {list(y.shape)}: give "
                            "class indices of shape (n,) (e.g. y.argmax(1) for one-hot labels) "
                            "or float targets of shape (n, k) for a k-output regression")
    x = x.astype(np.float64)
    if y.dtype.kind in "US":
        empty = np.flatnonzero(np.char.strip(y.astype(str)) == "")
        if len(empty):
            raise DataFileError("path", f"{path}: target '{ykey}' row {empty[0]} is an empty "
                                "label; every row needs a label")
    else:
        y = y.astype(np.float64)
        bad = ~np.isfinite(y.reshape(len(y), -1)).all(1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            if missing != "drop" or not np.isnan(y.reshape(len(y), -1)[i]).any():
                raise DataFileError("path", f"{path}: target '{ykey}' row {i} is "
                                    f"{y.reshape(len(y), -1)[i].tolist()}; values must be finite")
    bad_x = ~np.isfinite(x)
    notes = []
    if bad_x.any() or (y.dtype.kind == "f" and np.isnan(y).any()):
        inf = np.isinf(x)
        if inf.any():
            i, j = np.argwhere(inf)[0]
            raise DataFileError("path", f"{path}: '{xkey}' row {i}, column {j} is {x[i, j]}; "
                                "values must be finite")
        if missing == "error":
            i, j = np.argwhere(bad_x)[0]
            raise DataFileError("path", f"{path}: '{xkey}' row {i}, column {j} is NaN (missing); "
                                "set data.missing: drop or mean")
        if missing == "drop":
            keep = ~bad_x.any(1)
            if y.dtype.kind == "f":
                keep &= ~np.isnan(y.reshape(len(y), -1)).any(1)
            notes.append(f"{int((~keep).sum())} row(s) with missing values dropped")
            x, y = x[keep], y[keep]
            if not len(x):
                raise DataFileError("path", f"{path}: every row has a missing value")
    names = [f"x{j}" for j in range(x.shape[1])]
    return Table(np.ascontiguousarray(x), y if ykey is not None else None, names, ykey, None,
                 notes)


def read_features(path: str, feature_names: list[str], target_name: str | None = None, *,
                  missing: str = "error", target_index: int | None = None):
    """Rows to predict on from a CSV file, for a model trained on ``feature_names``.

    With a header, the columns are picked by name (any order, extra columns ignored); without
    one, the file must have the training file's columns (with or without the target at
    ``target_index``). Returns ``(x, y or None)``; y is the target column when present.
    """
    if not os.path.isfile(path):
        raise DataFileError("path", f"file not found: {path!r}")
    layout = sniff(path)
    if layout.header is not None and not layout.meta:
        missing_cols = [n for n in feature_names if n not in layout.header]
        if missing_cols:
            raise DataFileError("path", f"{path} lacks the feature column(s) "
                                f"{', '.join(map(repr, missing_cols[:5]))} the model was "
                                "trained on")
        has_target = target_name is not None and target_name in layout.header
        table = read_csv(path, target_name if has_target else False, missing=missing,
                         delimiter=layout.delimiter or " ", header=True)
        order = [table.feature_names.index(n) for n in feature_names]
        return table.x[:, order], table.y
    n = len(feature_names)
    if layout.ncol == n:
        table = read_csv(path, False, missing=missing, delimiter=layout.delimiter or " ",
                         header=layout.header is not None)
        return table.x, None
    if layout.ncol == n + 1:
        idx = layout.ncol - 1 if target_index is None else target_index
        table = read_csv(path, idx, missing=missing, delimiter=layout.delimiter or " ",
                         header=layout.header is not None)
        return table.x, table.y
    raise DataFileError("path", f"{path} has {layout.ncol} columns; the model takes {n} "
                        f"features ({n + 1} columns with the target)")

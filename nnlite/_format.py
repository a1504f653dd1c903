"""``repr`` of tensors in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from nnlite import _dtype

_PRECISION = 4
_THRESHOLD = 1000
_EDGE = 3
_LINEWIDTH = 80
_SCI_MODE = None


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """``torch.set_printoptions``: the profiles ``default``/``short``/``full``; ``sci_mode``
    is always set (None: chosen from the values), as in torch."""
    global _PRECISION, _THRESHOLD, _EDGE, _LINEWIDTH, _SCI_MODE
    if profile == "default":
        _PRECISION, _THRESHOLD, _EDGE, _LINEWIDTH = 4, 1000, 3, 80
    elif profile == "short":
        _PRECISION, _THRESHOLD, _EDGE, _LINEWIDTH = 2, 1000, 2, 80
    elif profile == "full":
        _PRECISION, _THRESHOLD, _EDGE, _LINEWIDTH = 4, float("inf"), 3, 80
    if precision is not None:
        _PRECISION = precision
    if threshold is not None:
        _THRESHOLD = threshold
    if edgeitems is not None:
        _EDGE = edgeitems
    if linewidth is not None:
        _LINEWIDTH = linewidth
    _SCI_MODE = sci_mode


class _Formatter:
    """torch's ``_tensor_str._Formatter``: mode and width come from the nonzero finite values
    only (zeros, nan and inf are printed unpadded beyond that width)."""

    def __init__(self, arr: np.ndarray):
        self.kind = arr.dtype.kind
        self.int_mode = True
        self.sci = False
        self.width = 1
        vals = arr.reshape(-1)
        if self.kind == "b":
            self.width = max((len(str(bool(v))) for v in vals), default=1)
            return
        if self.kind in "iu":
            self.width = max((len(str(int(v))) for v in vals), default=1)
            return
        nonzero = vals[np.isfinite(vals) & (vals != 0)].astype(np.float64)
        if nonzero.size == 0:
            return
        absv = np.abs(nonzero)
        mx, mn = absv.max(), absv.min()
        self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
        if _SCI_MODE is None:
            self.sci = bool(mx / mn > 1000.0 or mx > 1.0e8 or mn < 1.0e-4)
        else:
            self.sci = bool(_SCI_MODE)
        if self.sci:
            self.width = max(len(f"{v:.{_PRECISION}e}") for v in nonzero)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in nonzero)
        else:
            self.width = max(len(f"{v:.{_PRECISION}f}") for v in nonzero)

    @staticmethod
    def _nonfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")

    def fmt(self, v) -> str:
        if self.kind == "b":
            return str(bool(v))
        if self.kind in "iu":
            return str(int(v))
        if not np.isfinite(v):
            return self._nonfinite(v)
        if self.sci:
            return f"{float(v):.{_PRECISION}e}"
        if self.int_mode:
            return f"{float(v):.0f}."
        return f"{float(v):.{_PRECISION}f}"

    def pad(self, v) -> str:
        return self.fmt(v).rjust(self.width)


def _summarized(arr, summarize):
    if not summarize:
        return arr
    # gather the edge items along every dim so the formatter sees only what is printed
    idx = []
    for n in arr.shape:
        if n > 2 * _EDGE:
            idx.append(np.r_[0:_EDGE, n - _EDGE:n])
        else:
            idx.append(np.arange(n))
    return arr[np.ix_(*idx)] if arr.ndim else arr


def _body(arr, f, indent, summarize):
    if arr.ndim == 0:
        return f.fmt(arr.item())
    if arr.ndim == 1:
        items = [f.pad(v) for v in arr]
        if summarize and arr.shape[0] > 2 * _EDGE:
            items = items[:_EDGE] + [" ..."] + items[-_EDGE:]  # torch's " ..."
        per_line = max(1, (_LINEWIDTH - indent) // (f.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    n = arr.shape[0]
    rows = list(range(n))
    if summarize and n > 2 * _EDGE:
        rows = list(range(_EDGE)) + [None] + list(range(n - _EDGE, n))
    parts = [_body(arr[i], f, indent + 1, summarize) if i is not None else "..." for i in rows]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_repr(t, prefix="tensor(") -> str:
    arr = t._data
    summarize = arr.size > _THRESHOLD
    f = _Formatter(_summarized(arr, summarize) if arr.size else arr)
    indent = len(prefix)
    if arr.size == 0:
        body = "[]"
    else:
        body = _body(arr, f, indent, summarize)
    suffix = []
    if arr.size == 0 and arr.ndim != 1:
        suffix.append(f"size={tuple(arr.shape)}")
    dt = arr.dtype.name
    if arr.size == 0:
        # torch: an empty tensor has no values to infer int64/bool from, so any dtype but
        # the default float one is shown
        if dt != _dtype.get_default_dtype().np.name:
            suffix.append(f"dtype=torch.{dt}")
    elif dt not in ("float32", "int64", "bool"):
        suffix.append(f"dtype=torch.{dt}")
    elif dt == "float32" and _default_is_not_float32():
        suffix.append("dtype=torch.float32")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    # torch's _add_suffixes: a suffix that would pass the line width goes on its own line
    s = prefix + body
    last_line_len = len(s) - s.rfind("\n") + 1
    for suf in suffix:
        if last_line_len + len(suf) + 2 > _LINEWIDTH:
            s += ",\n" + " " * indent + suf
            last_line_len = indent + len(suf)
        else:
            s += ", " + suf
            last_line_len += len(suf) + 2
    return s + ")"


def _default_is_not_float32() -> bool:
    return _dtype._default_float is not _dtype.float32

"""``repr`` of tensors in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

_PRECISION = 4
_THRESHOLD = 1000
_EDGE = 3
_LINEWIDTH = 80


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    global _PRECISION, _THRESHOLD, _EDGE, _LINEWIDTH
    if profile == "default":
        _PRECISION, _THRESHOLD, _EDGE, _LINEWIDTH = 4, 1000, 3, 80
    if precision is not None:
        _PRECISION = precision
    if threshold is not None:
        _THRESHOLD = threshold
    if edgeitems is not None:
        _EDGE = edgeitems
    if linewidth is not None:
        _LINEWIDTH = linewidth


class _Formatter:
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
        finite = vals[np.isfinite(vals)].astype(np.float64)
        if finite.size == 0:
            self.width = max((len(self._nonfinite(v)) for v in vals), default=1)
            return
        nonzero = np.abs(finite[finite != 0])
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            if nonzero.size and nonzero.max() > 1e8:
                self.int_mode = False
                self.sci = True
        elif nonzero.size:
            mx, mn = nonzero.max(), nonzero.min()
            if mx / mn > 1000.0 or mx > 1e8 or mn < 1e-4:
                self.sci = True
        # as PyTorch: the width comes from the finite values; nan/inf are padded to it
        self.width = max(len(self.fmt(v)) for v in finite)

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
            items = items[:_EDGE] + ["..."] + items[-_EDGE:]
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
    if dt not in ("float32", "int64", "bool"):
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
    from nnlite import _dtype

    return _dtype._default_float is not _dtype.float32

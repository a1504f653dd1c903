"""``torch.testing``: ``assert_close`` (tensors, Python numbers, and mappings/sequences of
them, with torch's messages) and ``make_tensor``."""

from __future__ import annotations

import collections.abc as _abc
import math

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor
from nnlite.ops.creation import empty, randint

__all__ = ["assert_close", "make_tensor"]

# dtype name -> (rtol, atol), torch's defaults; other dtypes compare exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


class _Mismatch(AssertionError):
    pass


def _fail(message: str, msg, path: list) -> None:
    if path:
        message += "\n\nThe failure occurred for item " + "".join(f"[{k!r}]" for k in path)
    if msg is not None:
        message = msg(message) if callable(msg) else msg
    raise _Mismatch(message)


def _tolerances(names, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    r = max(_TOLERANCES.get(n, (0.0, 0.0))[0] for n in names)
    a = max(_TOLERANCES.get(n, (0.0, 0.0))[1] for n in names)
    return r, a


def _compare_numbers(a, e, rtol, atol, equal_nan, msg, path):
    names = ["float64" if isinstance(x, float) else "int64" for x in (a, e)]
    rtol, atol = _tolerances(names, rtol, atol)
    if a == e or (equal_nan and isinstance(a, float) and isinstance(e, float)
                  and math.isnan(a) and math.isnan(e)):
        return
    diff = abs(a - e)
    if not (math.isinf(a) or math.isinf(e)) and diff <= atol + rtol * abs(e):
        return
    rel = diff / abs(e) if e != 0 else math.inf
    exact = rtol == 0 and atol == 0
    if exact:
        text = (f"Scalars are not equal!\n\nExpected {e} but got {a}.\nAbsolute difference: "
                f"{diff}\nRelative difference: {rel}")
    else:
        text = (f"Scalars are not close!\n\nExpected {e} but got {a}.\nAbsolute difference: "
                f"{diff} (up to {atol} allowed)\nRelative difference: {rel} (up to {rtol} "
                "allowed)")
    _fail(text, msg, path)


def _compare_tensors(a, e, rtol, atol, equal_nan, check_dtype, msg, path):
    if a.shape != e.shape:
        _fail(f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.", msg,
              path)
    if check_dtype and a.dtype != e.dtype:
        _fail(f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.", msg,
              path)
    rtol, atol = _tolerances([a._data.dtype.name, e._data.dtype.name], rtol, atol)
    ad, ed = a._data, e._data
    if ad.dtype != ed.dtype:
        common = np.result_type(ad, ed)
        ad, ed = ad.astype(common), ed.astype(common)
    if ad.dtype.kind in "bu":  # as torch: subtract in int64
        ad, ed = ad.astype(np.int64), ed.astype(np.int64)
    if ad.dtype.kind == "f":
        with np.errstate(invalid="ignore", over="ignore"):
            ok = np.isclose(ad, ed, rtol=rtol, atol=atol, equal_nan=equal_nan)
    else:
        ok = np.abs(ad - ed) <= atol + rtol * np.abs(ed)
    if ok.all():
        return
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(ad - ed)
        fdt = ad.dtype if ad.dtype.kind == "f" else D._default_float.np
        rel_diff = abs_diff.astype(fdt) / np.abs(ed).astype(fdt)
    abs_diff = np.where(ok, 0, abs_diff)
    rel_diff = np.where(ok, 0, rel_diff)

    def worst(x):
        flat = x.reshape(-1)
        nan = np.isnan(flat) if flat.dtype.kind == "f" else np.zeros(flat.shape, bool)
        i = int(np.argmax(nan)) if nan.any() else int(np.argmax(flat))
        idx = tuple(int(j) for j in np.unravel_index(i, x.shape)) if x.ndim else ()
        return flat[i].item(), idx

    bad, total = int((~ok).sum()), ok.size
    (ma, ia), (mr, ir) = worst(abs_diff), worst(rel_diff)
    exact = rtol == 0 and atol == 0
    if ad.ndim == 0:  # a 0-dim tensor reports as a scalar (torch's message)
        tol = "" if exact else f" (up to {atol} allowed)"
        rtol_s = "" if exact else f" (up to {rtol} allowed)"
        _fail(f"Scalars are not {'equal' if exact else 'close'}!\n\nExpected {ed.item()} but "
              f"got {ad.item()}.\nAbsolute difference: {ma}{tol}\nRelative difference: "
              f"{mr}{rtol_s}", msg, path)
    text = (f"Tensor-likes are not {'equal' if exact else 'close'}!\n\nMismatched elements: "
            f"{bad} / {total} ({100 * bad / total:.1f}%)\n"
            f"Greatest absolute difference: {ma} at index {ia}"
            + ("" if exact else f" (up to {atol} allowed)")
            + f"\nGreatest relative difference: {mr} at index {ir}"
            + ("" if exact else f" (up to {rtol} allowed)"))
    _fail(text, msg, path)


def _compare(a, e, rtol, atol, equal_nan, check_dtype, msg, path):
    if isinstance(a, Tensor) and isinstance(e, Tensor):
        return _compare_tensors(a, e, rtol, atol, equal_nan, check_dtype, msg, path)
    numbers = (int, float, bool)
    if isinstance(a, numbers) and isinstance(e, numbers) and not isinstance(
            a, np.generic) and not isinstance(e, np.generic):
        return _compare_numbers(a, e, rtol, atol, equal_nan, msg, path)
    if isinstance(a, _abc.Mapping) and isinstance(e, _abc.Mapping):
        if set(a) != set(e):
            missing = sorted(set(e) - set(a), key=repr)
            extra = sorted(set(a) - set(e), key=repr)
            lines = ["The keys of the mappings do not match:"]
            if missing:
                lines.append(f"Missing keys in the actual mapping: {missing}")
            if extra:
                lines.append(f"Additional keys in the actual mapping: {extra}")
            _fail("\n".join(lines), msg, path)
        for k in e:
            _compare(a[k], e[k], rtol, atol, equal_nan, check_dtype, msg, path + [k])
        return None
    seq = (list, tuple)
    if isinstance(a, seq) and isinstance(e, seq):
        if len(a) != len(e):
            _fail(f"The length of the sequences mismatch: {len(a)} != {len(e)}", msg, path)
        for i, (x, y) in enumerate(zip(a, e)):
            _compare(x, y, rtol, atol, equal_nan, check_dtype, msg, path + [i])
        return None
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(a)} and "
                    f"{type(e)}.")


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close.

    Tensors compare elementwise, ``|actual - expected| <= atol + rtol * |expected|``, with the
    dtype's default tolerances when neither is given (float32: rtol 1.3e-6, atol 1e-5; float64:
    1e-7, 1e-7; integer and bool dtypes exactly), after their shapes (and dtypes, unless
    ``check_dtype=False``) are checked. Python numbers compare as scalars; mappings and
    sequences compare key by key / item by item, the message naming the item that failed.
    ``msg`` (a string, or a callable on the generated message) replaces the message.

    Raises:
        AssertionError: not close, with torch's message.
        TypeError: inputs of kinds that cannot be compared (a tensor against a list).
        ValueError: only one of ``rtol`` and ``atol`` given.
    """
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, [])
    except _Mismatch as e:
        raise AssertionError(str(e)) from None


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None) -> Tensor:
    """A random tensor for tests, as ``torch.testing.make_tensor``: floats uniform in
    ``[low, high)`` (default [-9, 9)), integers in ``[low, high)`` (default [-9, 10), unsigned
    from 0), bools 0/1; ``exclude_zero`` replaces zeros by 1 (integers) or the dtype's tiny."""
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    dt = D.to_dtype(dtype)
    npd = dt.np
    if npd.kind == "b":
        t = randint(0, 2, shape, dtype=dt)
    elif npd.kind in "iu":
        lo = (0 if npd.kind == "u" else -9) if low is None else math.ceil(low)
        hi = 10 if high is None else math.ceil(high)
        t = randint(lo, hi, shape, dtype=dt)
    else:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        if lo > hi:
            raise ValueError(f"`low` must be less than or equal to `high`, but got {lo} > {hi}")
        t = empty(shape, dtype=dt).uniform_(lo, hi)
    if exclude_zero:
        repl = 1 if npd.kind in "iub" else np.finfo(npd).tiny
        t._data[t._data == 0] = repl
    if noncontiguous and t.numel() > 1:
        t = t.repeat_interleave(2, dim=-1)[..., ::2]
    if requires_grad:
        t.requires_grad_(True)
    return t

"""``torch.testing.assert_close`` for nnlite tensors."""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor, tensor


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True,
                 msg=None):
    a = actual if isinstance(actual, Tensor) else tensor(actual)
    e = expected if isinstance(expected, Tensor) else tensor(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                             f"{a.shape} != {e.shape}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                             f"{a.dtype} != {e.dtype}.")
    defaults = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}
    r, t = defaults.get(a._data.dtype.name, (0.0, 0.0))
    rtol = r if rtol is None else rtol
    atol = t if atol is None else atol
    ad, ed = a._data.astype(np.float64), e._data.astype(np.float64)
    ok = np.isclose(ad, ed, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not np.all(ok):
        bad = int((~ok).sum())
        diff = np.abs(ad - ed)[~ok].max()
        raise AssertionError(
            msg or f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {ok.size}\n"
            f"Greatest absolute difference: {diff}"
        )

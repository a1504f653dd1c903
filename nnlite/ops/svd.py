"""Singular value decomposition (``torch.linalg.svd``, ``torch.svd``, ``torch.linalg.svdvals``)
with PyTorch's gradient (LinalgSvdBackward0), batched over leading dims.

For ``A = U diag(S) Vh`` (thin, ``k = min(m, n)``), with ``F_ij = 1 / (s_j^2 - s_i^2)`` off the
diagonal and 0 on it:

    gA = U [diag(gS) + (F * (U^T gU - gU^T U)) S + S (F * (V^T gV - gV^T V))] Vh
         + (I - U U^T) gU S^-1 Vh + U S^-1 gV^T (I - V V^T)

(the last two terms vanish for square inputs). Like PyTorch the gradient is ill-defined for
repeated singular values (F is infinite there) and depends on the signs LAPACK picks only
through U and V together. With ``full_matrices=True`` the extra columns get no gradient (the
decomposition is narrowed to ``k``, as PyTorch does).
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import no_grad
from nnlite.ops import elementwise as E
from nnlite.ops import shape as S
from nnlite.ops.linalg import matmul

_W = Tensor._wrap


class _Named(tuple):
    _fields: tuple = ()
    _type = ""

    def __getattr__(self, name):
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{self._type}(\n{body})"


def _result(type_name, fields, values):
    cls = type(type_name, (_Named,), {"_fields": fields, "_type": type_name})
    return cls(values)


def _mT(t):  # noqa: N802
    return S.transpose(t, -2, -1)


class LinalgSvdBackward0(Node):
    def backward(self, gU, gS, gVh):  # noqa: N803
        U, Sv, Vh = self._unpacked_saved
        k = Sv._data.shape[-1]
        if self.full:
            U = S.narrow(U, -1, 0, k)
            Vh = S.narrow(Vh, -2, 0, k)
            gU = None if gU is None else S.narrow(gU, -1, 0, k)
            gVh = None if gVh is None else S.narrow(gVh, -2, 0, k)
        if gU is None and gVh is None:
            return (matmul(U * gS.unsqueeze(-2), Vh),)
        V = _mT(Vh)
        s2 = Sv * Sv
        den = s2.unsqueeze(-2) - s2.unsqueeze(-1)  # den_ij = s_j^2 - s_i^2
        eye = _W(np.eye(k, dtype=Sv._data.dtype).astype(bool))
        inv = E.reciprocal(E.where(eye, E.ones_like(den), den))
        F = E.where(eye, E.zeros_like(den), inv)
        inner = 0
        if gS is not None:
            inner = _diag_embed(gS)
        s_row = Sv.unsqueeze(-2)
        s_col = Sv.unsqueeze(-1)
        m, n = U._data.shape[-2], V._data.shape[-2]
        out = None
        if gU is not None:
            UtgU = matmul(_mT(U), gU)
            inner = inner + (F * (UtgU - _mT(UtgU))) * s_row
        if gVh is not None:
            gV = _mT(gVh)
            VtgV = matmul(_mT(V), gV)
            inner = inner + s_col * (F * (VtgV - _mT(VtgV)))
        out = matmul(matmul(U, inner), Vh)
        if gU is not None and m > k:
            proj = gU - matmul(U, matmul(_mT(U), gU))
            out = out + matmul(proj / s_row, Vh)
        if gVh is not None and n > k:
            gV = _mT(gVh)
            proj = gV - matmul(V, matmul(_mT(V), gV))
            out = out + matmul(U / s_row, _mT(proj))
        return (out,)


def _diag_embed(v):
    k = v._data.shape[-1]
    eye = _W(np.eye(k, dtype=v._data.dtype))
    return v.unsqueeze(-1) * eye


def _svd(A, full_matrices):
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if a.dtype.kind != "f":
        raise RuntimeError(
            f"linalg.svd: Expected a floating point or complex tensor as input. Got "
            f"{A.dtype}".replace("torch.", ""))
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    U, Sv, Vh = _W(u.astype(a.dtype)), _W(s.astype(a.dtype)), _W(vh.astype(a.dtype))
    node = record(U, LinalgSvdBackward0, (A,))
    if node is not None:
        node._out_meta = [(u.shape, u.dtype), (s.shape, s.dtype), (vh.shape, vh.dtype)]
        node.full = full_matrices and a.shape[-1] != a.shape[-2]
        for i, t in enumerate((U, Sv, Vh)):
            t._requires_grad, t.grad_fn, t._output_nr = True, node, i
        # the outputs themselves (a reference cycle the GC frees): a double backward
        # differentiates the gradient formula through them, back into this node
        node.save_for_backward(U, Sv, Vh)
        node.materialize_grads = False
    return U, Sv, Vh


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """``A = U diag(S) Vh`` (``torch.linalg.svd``); ``full_matrices=False`` for the thin one."""
    return _result("linalg_svd", ("U", "S", "Vh"), _svd(A, full_matrices))


def svd(input, some=True, compute_uv=True, *, out=None):
    """``torch.svd``: ``(U, S, V)`` with ``V`` (not ``Vh``); ``some=False`` for the full one.

    With ``compute_uv=False``, U and V are zero-filled, as in PyTorch.
    """
    U, Sv, Vh = _svd(input, not some)
    V = _mT(Vh)
    if not compute_uv:
        with no_grad():
            U, V = E.zeros_like(U), E.zeros_like(V)
    return _result("svd", ("U", "S", "V"), (U, Sv, V))


def svdvals(A, *, driver=None, out=None):
    """The singular values of ``A``, descending (``torch.linalg.svdvals``)."""
    return _svd(A, False)[1]

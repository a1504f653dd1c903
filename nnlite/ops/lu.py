"""LU with partial pivoting, as torch: ``linalg.lu_factor`` (packed ``LU`` + LAPACK's 1-based
int32 ``pivots``), ``lu_unpack`` (``P, L, U``), ``linalg.lu`` and ``torch.lu``, and
``linalg.lu_solve`` / ``torch.lu_solve``. Backward formulas are torch's (``lu_factor``/``lu``
also for wide and tall matrices),
written in Tensor ops (``solve_triangular``, ``matmul``, ``tril``/``triu``), so they are
differentiable again.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.ops import decompositions as Dc
from nnlite.ops import linalg as L
from nnlite.ops import shape as S
from nnlite.ops.decompositions import _record_multi

_W = Tensor._wrap


def _result_type(name, fields):
    base = namedtuple(name, fields)

    def __repr__(self):
        inner = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"torch.return_types.{name}(\n{inner})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


_LuFactor = _result_type("linalg_lu_factor", ["LU", "pivots"])
_LuUnpack = _result_type("lu_unpack", ["P", "L", "U"])
_Lu = _result_type("linalg_lu", ["P", "L", "U"])


def _factor_one(a: np.ndarray):
    """Doolittle with row pivoting of one (m, n) matrix: packed LU and 1-based pivots."""
    lu = np.array(a, dtype=np.float64, copy=True)
    m, n = lu.shape
    k = min(m, n)
    piv = np.arange(1, k + 1, dtype=np.int32)
    for j in range(k):
        p = j + int(np.argmax(np.abs(lu[j:, j])))
        piv[j] = p + 1
        if p != j:
            lu[[j, p]] = lu[[p, j]]
        if lu[j, j] != 0:
            lu[j + 1:, j] /= lu[j, j]
            lu[j + 1:, j + 1:] -= np.outer(lu[j + 1:, j], lu[j, j + 1:])
    return lu, piv


def _perm_matrix(piv: np.ndarray, m: int) -> np.ndarray:
    """``P`` with ``A = P L U`` from LAPACK pivots (row ``i`` swapped with ``piv[i] - 1``)."""
    perm = np.arange(m)
    for i, p in enumerate(piv.tolist()):
        p -= 1
        perm[[i, p]] = perm[[p, i]]
    P = np.zeros((m, m))
    P[perm, np.arange(m)] = 1.0
    return P


def _batched(a):
    return a.reshape((-1,) + a.shape[-2:])


def _zeros(like: Tensor, shape) -> Tensor:
    return _W(np.zeros(tuple(shape), like._data.dtype))


def lu_backward(gL, gU, P, Lm, U):
    """torch's ``linalg_lu_backward``: ``dA`` from ``dL`` (m x k, strictly lower) and ``dU``
    (k x n, upper) of ``A = P L U``, for square, wide (m < n) and tall (m > n) ``A``."""
    m, n = Lm.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        gA = S.tril(L.matmul(Lm.mT, gL), -1) + S.triu(L.matmul(gU, U.mT))
        gA = Dc.solve_triangular(U.mT, gA, upper=False, left=False)
        gA = Dc.solve_triangular(Lm.mT, gA, upper=True, unitriangular=True)
        return L.matmul(P, gA)
    if m < n:  # wide: U = [U1 U2] with U1 square
        U1 = S.narrow(U, -1, 0, k)
        gA = L.matmul(Lm.mT, gL) - L.matmul(S.triu(gU), U.mT)
        gA = Dc.solve_triangular(U1.mT, S.tril(gA, -1), upper=False, left=False)
        gA = S.cat([gA + S.triu(S.narrow(gU, -1, 0, k)), S.narrow(gU, -1, k, n - k)], -1)
        gA = Dc.solve_triangular(Lm.mT, gA, upper=True, unitriangular=True)
        return L.matmul(P, gA)
    # tall: L = [L1; L2] with L1 square
    L1 = S.narrow(Lm, -2, 0, k)
    gA = L.matmul(gU, U.mT) - L.matmul(Lm.mT, S.tril(gL, -1))
    gA = Dc.solve_triangular(L1.mT, S.triu(gA), upper=True, unitriangular=True)
    gA = S.cat([gA + S.tril(S.narrow(gL, -2, 0, k), -1), S.narrow(gL, -2, k, m - k)], -2)
    gA = Dc.solve_triangular(U.mT, gA, upper=False, left=False)
    return L.matmul(P, gA)


class LinalgLuFactorExBackward0(Node):
    def backward(self, g, *_):
        lu_t, piv = self._unpacked_saved[0], self.piv
        P, Lm, U = lu_unpack(lu_t, piv)
        k = min(g.shape[-2:])
        gL = S.tril(S.narrow(g, -1, 0, k), -1)
        gU = S.triu(S.narrow(g, -2, 0, k))
        return (lu_backward(gL, gU, P, Lm, U),)


def lu_factor(A, *, pivot=True, out=None):
    """``A = P L U`` packed: ``LU`` holds ``L`` (unit diagonal, below) and ``U`` (on and above
    the diagonal); ``pivots`` are LAPACK's 1-based row swaps.

    Example:
        >>> LU, pivots = nnlite.linalg.lu_factor(nnlite.tensor([[1., 2.], [3., 4.]]))
    """
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lu_factor: The input tensor A must have at least 2 "
                           "dimensions.")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.lu_factor: Expected a floating point or complex tensor as "
                           f"input. Got {A.dtype}")
    flat = _batched(a)
    parts = [_factor_one(m) for m in flat]
    k = min(a.shape[-2:])
    lu = np.stack([p[0] for p in parts]) if parts else flat.astype(np.float64)
    piv = np.stack([p[1] for p in parts]) if parts else np.zeros((0, k), np.int32)
    lu_t = _W(lu.reshape(a.shape).astype(a.dtype))
    piv_t = _W(piv.reshape(a.shape[:-2] + (k,)))
    node = record(lu_t, LinalgLuFactorExBackward0, (A,), saved=(lu_t,))
    if node is not None:
        node.save(piv=piv_t)
    return _LuFactor(lu_t, piv_t)


class LuUnpackBackward0(Node):
    def backward(self, gL, gU):
        # the packed gradient (m x n): L's strict lower part in the first k columns, U's upper
        # part in the first k rows (zero-padded where A is not square)
        m, n = self.shape
        k = min(m, n)
        out = None
        if gL is not None:
            out = S.tril(gL, -1)
            if n > k:
                out = S.cat([out, _zeros(gL, out.shape[:-1] + (n - k,))], -1)
        if gU is not None:
            up = S.triu(gU)
            if m > k:
                up = S.cat([up, _zeros(gU, up.shape[:-2] + (m - k, n))], -2)
            out = up if out is None else out + up
        return (out,)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from ``lu_factor``'s packed result."""
    lu, piv = LU_data._data, LU_pivots._data
    m, n = lu.shape[-2:]
    k = min(m, n)
    P = L = U = None
    if unpack_pivots:
        flat = piv.reshape((-1, piv.shape[-1]))
        mats = [_perm_matrix(p, m) for p in flat]
        P = _W(np.stack(mats).reshape(lu.shape[:-2] + (m, m)).astype(lu.dtype)
               if mats else np.zeros(lu.shape[:-2] + (m, m), lu.dtype))
    else:
        P = _W(np.zeros(0, lu.dtype))
    if unpack_data:
        Ld = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
        Ud = np.triu(lu[..., :k, :])
        L, U = _W(Ld), _W(Ud)
        node = _record_multi([L, U], LuUnpackBackward0, (LU_data,), ())
        if node is not None:
            node.shape = (m, n)
    else:
        L = U = _W(np.zeros(0, lu.dtype))
    return _LuUnpack(P, L, U)


def linalg_lu(A, *, pivot=True):
    """``P, L, U`` with ``A = P L U`` (``torch.linalg.lu``)."""
    LU, piv = lu_factor(A, pivot=pivot)
    return _Lu(*lu_unpack(LU, piv))


def lu(A, pivot=True, get_infos=False):
    """``torch.lu``: ``(LU, pivots)`` (and ``infos``, zeros for non-singular inputs)."""
    LU, piv = lu_factor(A, pivot=pivot)
    if not get_infos:
        return LU, piv
    diag = np.diagonal(LU._data, axis1=-2, axis2=-1)
    zero = diag == 0
    infos = np.where(zero.any(-1), zero.argmax(-1) + 1, 0).astype(np.int32)
    return LU, piv, _W(infos)


class LinalgLuSolveBackward0(Node):
    def backward(self, g):
        lu_t, X = self._unpacked_saved
        piv, adjoint = self.piv, self.adjoint
        gB = lu_solve(lu_t, piv, g, adjoint=not adjoint)
        gLU = None
        if self.needs_input_grad[0]:
            # A X = B (A = P L U):  gA = -gB X^H;  A^H X = B:  gA = -X gB^H
            gA = -(L.matmul(gB, X.mT) if not adjoint else L.matmul(X, gB.mT))
            P, Lm, U = lu_unpack(lu_t, piv)
            ptg = L.matmul(P.mT, gA)
            gLU = S.tril(L.matmul(ptg, U.mT), -1) + S.triu(L.matmul(Lm.mT, ptg))
        return gLU, (gB if self.needs_input_grad[1] else None)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """Solve ``A X = B`` (``A^H X = B`` if ``adjoint``; ``X A = B`` if not ``left``) from
    ``A``'s ``lu_factor`` (``torch.linalg.lu_solve``)."""
    if not left:  # X A = B  <=>  A^T X^T = B^T  (real matrices)
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    lu, piv, b = LU._data, pivots._data, B._data
    if lu.shape[-1] != lu.shape[-2]:
        raise RuntimeError("linalg.lu_solve: A must be batches of square matrices")
    if b.shape[-2] != lu.shape[-1]:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({lu.shape[-2]}x{lu.shape[-1]} and "
                           f"{b.shape[-2]}x{b.shape[-1]})")
    n = lu.shape[-1]
    shape = np.broadcast_shapes(lu.shape[:-2], b.shape[:-2])
    luf = np.broadcast_to(lu, shape + (n, n)).reshape((-1, n, n)).astype(np.float64)
    pf = np.broadcast_to(piv, shape + (n,)).reshape((-1, n))
    bf = np.broadcast_to(b, shape + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    xs = []
    for m, p, rhs in zip(luf, pf, bf):
        P = _perm_matrix(p, n)
        Lm = np.tril(m, -1) + np.eye(n)
        U = np.triu(m)
        A = P @ Lm @ U
        xs.append(np.linalg.solve(A.T if adjoint else A, rhs.astype(np.float64)))
    x = np.stack(xs).reshape(shape + b.shape[-2:]) if xs else np.zeros(shape + b.shape[-2:])
    X = _W(x.astype(np.result_type(lu.dtype, b.dtype)))
    node = record(X, LinalgLuSolveBackward0, (LU, B), saved=(LU, X))
    if node is not None:
        node.adjoint = adjoint
        node.save(piv=pivots)
    return X


def lu_solve_deprecated(b, LU_data, LU_pivots, *, out=None):
    """``torch.lu_solve(b, LU_data, LU_pivots)`` (the older argument order)."""
    return lu_solve(LU_data, LU_pivots, b)

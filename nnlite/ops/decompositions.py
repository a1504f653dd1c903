"""Matrix decompositions and the functions built on them, as ``torch.linalg`` has them:
eigh, eigvalsh, cholesky, qr, slogdet, pinv, lstsq, matrix_rank, solve_triangular and the
matrix norms other than Frobenius (torch.cholesky/qr/slogdet/pinverse too).

Forward passes call LAPACK through numpy (``np.linalg`` uses the lower triangle for eigh and
cholesky, as torch's ``UPLO='L'``). Backward formulas are written in Tensor ops, so second
derivatives work; they are torch's (``FunctionsManual.cpp``) for real inputs:

- eigh: ``gA = V (skew(V^T gV) / E + diag(gL)) V^T`` with ``E_ij = L_j - L_i``.
- cholesky: ``gA = sym(L^-T Phi(L^T gL) L^-1)``, Phi = lower triangle with half the diagonal.
- qr (m >= n): ``gA = (gQ + Q copyltu(M)) R^-T`` with ``M = R gR^T - gQ^T Q``.
- slogdet: ``g_logabsdet * A^-T``.

Eigenvector and Q/R signs follow LAPACK's choice, which is torch's on the same library but not
promised to be across libraries (torch documents eigenvectors as unique only up to sign).
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import no_grad
from nnlite.ops import reduce as R
from nnlite.ops.elementwise import eq as E_eq
from nnlite.ops.elementwise import where
from nnlite.ops._util import record_multi as _record_multi
from nnlite.ops.linalg import linalg_inv as inv
from nnlite.ops.linalg import linalg_vector_norm, matmul
from nnlite.ops.svd import linalg_svd, svdvals

_W = Tensor._wrap


def _named(type_name, fields):
    base = namedtuple(type_name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{type_name}(\n{body})"

    return type(type_name, (base,), {"__slots__": (), "__repr__": __repr__})


_EIGH = _named("linalg_eigh", ["eigenvalues", "eigenvectors"])
_QR = _named("linalg_qr", ["Q", "R"])
_SLOGDET = _named("linalg_slogdet", ["sign", "logabsdet"])
_TORCH_SLOGDET = _named("slogdet", ["sign", "logabsdet"])
_LSTSQ = _named("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


class _LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a matrix the decomposition cannot handle (a RuntimeError)."""


def _not_positive_definite(a):
    """torch's message: the order of the first leading minor that is not positive-definite."""
    prefix = "linalg.cholesky: "
    if a.ndim > 2:
        flat = a.reshape(-1, *a.shape[-2:])
        for b, m in enumerate(flat):
            try:
                np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                prefix, a = f"linalg.cholesky: (Batch element {b}): ", m
                break
    k = next((k for k in range(1, a.shape[-1] + 1)
              if not _is_pd(a[:k, :k])), a.shape[-1])
    return _LinAlgError(f"{prefix}The factorization could not be completed because the input "
                        f"is not positive-definite (the leading minor of order {k} is not "
                        "positive-definite).")


def _is_pd(m):
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


def _mT(t):  # noqa: N802
    return t.transpose(-2, -1)


def _square(a, name):
    s = a._data.shape
    if a._data.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if s[-1] != s[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{s[-2]} by {s[-1]} matrices")
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. "
                           f"Got {a.dtype}")


def _diag_embed(v):
    n = v._data.shape[-1]
    return v.unsqueeze(-1) * _W(np.eye(n, dtype=v._data.dtype))


# ---- eigh / eigvalsh ------------------------------------------------------------------------


class LinalgEighBackward0(Node):
    def backward(self, gL, gV):
        L, V = self._unpacked_saved
        n = L._data.shape[-1]
        eye = _W(np.eye(n, dtype=L._data.dtype))
        inner = None
        if gV is not None:
            vhgv = matmul(_mT(V), gV)
            skew = (vhgv - _mT(vhgv)) * 0.5
            E = L.unsqueeze(-2) - L.unsqueeze(-1)
            inner = skew / (E + eye) * (1 - eye)  # the diagonal's 1 keeps 0/0 away
        if gL is not None:
            d = _diag_embed(gL)
            inner = d if inner is None else inner + d
        if inner is None:
            return (None,)
        return (matmul(V, matmul(inner, _mT(V))),)


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix.

    ``A = V diag(L) V^T``; only the ``UPLO`` triangle of ``A`` is read.

    Example:
        >>> L, V = eigh(tensor([[2.0, 1.0], [1.0, 2.0]]))
        >>> L
        tensor([1., 3.])
    """
    _square(A, "eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    w, v = np.linalg.eigh(A._data, UPLO=UPLO)
    L, V = _W(np.ascontiguousarray(w)), _W(np.ascontiguousarray(v))
    _record_multi((L, V), LinalgEighBackward0, (A,), (L, V))
    return _EIGH(L, V)


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of a symmetric matrix, ascending (differentiable: ``V diag(gL) V^T``)."""
    return eigh(A, UPLO).eigenvalues


# ---- cholesky --------------------------------------------------------------------------------


class LinalgCholeskyExBackward0(Node):
    def backward(self, gL):
        (L,) = self._unpacked_saved
        if self.upper:
            L, gL = _mT(L), _mT(gL)
        P = matmul(_mT(L), gL).tril()
        P = P - 0.5 * _diag_embed(P.diagonal(0, -2, -1))
        Linv = _inv_tri(L)
        S = matmul(matmul(_mT(Linv), P), Linv)
        return (0.5 * (S + _mT(S)),)


def _inv_tri(L):

    return inv(L)


class CholeskyBackward0(LinalgCholeskyExBackward0):
    """``torch.cholesky``'s node: the same formula as ``linalg.cholesky``'s."""


def cholesky(A, *, upper=False, out=None, node_cls=LinalgCholeskyExBackward0):
    """``L`` lower triangular with ``A = L L^T`` (``upper=True``: ``U`` with ``A = U^T U``)."""
    _square(A, "cholesky")
    try:
        L = np.linalg.cholesky(A._data)
    except np.linalg.LinAlgError:
        raise _not_positive_definite(A._data) from None
    if upper:
        L = np.swapaxes(L, -1, -2)
    out_t = _W(np.ascontiguousarray(L))
    node = record(out_t, node_cls, (A,), (out_t,))
    if node is not None:
        node.upper = upper
    return out_t


def torch_cholesky(A, upper=False, *, out=None):
    """``torch.cholesky`` (deprecated in torch for ``linalg.cholesky``)."""
    return cholesky(A, upper=upper, node_cls=CholeskyBackward0)


# ---- qr --------------------------------------------------------------------------------------


class LinalgQrBackward0(Node):
    def backward(self, gQ, gR):
        Q, Rm = self._unpacked_saved
        if self.complete:
            raise NotImplementedError("The QR decomposition is not differentiable when "
                                      "mode='complete' and nrows > ncols.")
        if self.m < self.n:
            raise NotImplementedError("The derivative of linalg.qr is not implemented when "
                                      "mode='r' or when A has more columns than rows (m < n)")
        if gQ is None:
            gQ = Q * 0
        if gR is None:
            gR = Rm * 0
        M = matmul(Rm, _mT(gR)) - matmul(_mT(gQ), Q)
        low = M.tril(-1)
        copyltu = low + _mT(low) + _diag_embed(M.diagonal(0, -2, -1))

        return (matmul(gQ + matmul(Q, copyltu), _mT(inv(Rm))),)


def qr(A, mode="reduced", *, out=None):
    """``A = Q R`` with orthonormal columns in ``Q`` and upper triangular ``R``."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    m, n = A._data.shape[-2:]
    if mode == "r":
        r = np.linalg.qr(A._data, mode="r")
        return _QR(_W(np.zeros(0, A._data.dtype)), _W(np.ascontiguousarray(r)))
    q, r = np.linalg.qr(A._data, mode=mode)
    Q, Rm = _W(np.ascontiguousarray(q)), _W(np.ascontiguousarray(r))
    node = _record_multi((Q, Rm), LinalgQrBackward0, (A,), (Q, Rm))
    if node is not None:
        node.m, node.n = m, n
        node.complete = mode == "complete" and m > n
    return _QR(Q, Rm)


# ---- slogdet / logdet ------------------------------------------------------------------------


class LinalgSlogdetBackward0(Node):
    def backward(self, gsign, glogabs):  # the sign is piecewise constant: no gradient
        (a,) = self._unpacked_saved
        if glogabs is None:
            return (None,)

        return (glogabs.unsqueeze(-1).unsqueeze(-1) * _mT(inv(a)),)


def slogdet(A, *, out=None):
    """``(sign, log|det A|)``; differentiable in ``logabsdet`` (``g * A^-T``)."""
    _square(A, "slogdet")
    s, la = np.linalg.slogdet(A._data)
    sign, logabs = _W(np.asarray(s, A._data.dtype)), _W(np.asarray(la, A._data.dtype))
    _record_multi((sign, logabs), LinalgSlogdetBackward0, (A,), (A,))
    return _SLOGDET(sign, logabs)


def logdet(input):
    """``log det A``: NaN where the determinant is negative. torch's graph: slogdet, then
    ``where(sign == -1, nan, logabsdet)``."""
    sign, logabs = slogdet(input)
    nan = _W(np.asarray(np.nan, logabs._data.dtype))
    return where(E_eq(sign, -1.0), nan, logabs)


_TORCH_QR = _named("qr", ["Q", "R"])


def torch_qr(A, some=True, *, out=None):
    """``torch.qr`` (deprecated in torch for ``linalg.qr``): ``some=False`` is 'complete'."""
    return _TORCH_QR(*qr(A, "reduced" if some else "complete"))


def pinverse(A, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv`` with torch's ``rcond`` default of 1e-15."""
    return pinv(A, rtol=rcond)


def torch_slogdet(A, *, out=None):
    """``torch.slogdet``: ``linalg.slogdet`` with its own result type name."""
    return _TORCH_SLOGDET(*slogdet(A))


# ---- rank, pseudo-inverse, least squares ----------------------------------------------------


def _tolerances(s_max, shape, dtype, atol, rtol, tol=None):
    if tol is not None:
        atol, rtol = tol, 0.0
    if atol is None and rtol is None:
        rtol = np.finfo(dtype).eps * builtins.max(shape[-2:])
    atol = 0.0 if atol is None else (atol._data if isinstance(atol, Tensor) else atol)
    rtol = 0.0 if rtol is None else (rtol._data if isinstance(rtol, Tensor) else rtol)
    return np.maximum(atol, rtol * s_max)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Number of singular values above ``max(atol, rtol * largest)`` (rtol defaults to
    ``eps * max(m, n)`` when neither is given)."""
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor input must have at least 2 "
                           "dimensions.")
    a = A._data
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(a))
    else:
        s = np.linalg.svd(a, compute_uv=False)
    if s.shape[-1] == 0:
        return _W(np.zeros(a.shape[:-2], np.int64))
    cut = _tolerances(s.max(-1), a.shape, a.dtype, atol, rtol, tol)
    return _W(np.asarray((s > np.asarray(cut)[..., None]).sum(-1), np.int64))


class LinalgPinvBackward0(Node):
    """torch's ``pinv_backward`` (products arranged to keep the smallest matrices)."""

    def backward(self, g):
        A, P = self._unpacked_saved
        m, n = A._data.shape[-2:]
        Ph, gh = _mT(P), _mT(g)
        if m <= n:
            K = matmul(gh, P)
            KPh = matmul(K, Ph)
            return (-_mT(matmul(P, K)) + KPh - matmul(matmul(A, P), KPh)
                    + matmul(matmul(Ph, P), gh - matmul(K, A)),)
        K = matmul(P, gh)
        PhK = matmul(Ph, K)
        return (-_mT(matmul(K, P)) + PhK - matmul(matmul(PhK, P), A)
                + matmul(matmul(gh - matmul(A, K), P), Ph),)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
    """Moore-Penrose pseudo-inverse ``V diag(1/s) U^T`` over the singular values kept by the
    tolerance (one node, LinalgPinvBackward0)."""
    if A._data.ndim < 2:
        raise RuntimeError("linalg.pinv: The input tensor A must have at least 2 dimensions.")
    if rcond is not None:
        rtol = rcond
    with no_grad():
        P = _pinv_value(A, atol, rtol)
    out_t = _W(P._data)
    record(out_t, LinalgPinvBackward0, (A,), (A, out_t))
    return out_t


def _pinv_value(A, atol, rtol):
    U, S, Vh = linalg_svd(A, full_matrices=False)
    s = S._data
    if rtol is None and atol is None:
        rtol = np.finfo(s.dtype).eps * builtins.max(A._data.shape[-2:])
    cut = _tolerances(s.max(-1) if s.shape[-1] else np.zeros(s.shape[:-1], s.dtype),
                      A._data.shape, s.dtype, atol, rtol)
    keep = _W((s > np.asarray(cut)[..., None]).astype(s.dtype))
    safe = S * keep + (1 - keep)
    inv_s = keep / safe
    return matmul(_mT(Vh) * inv_s.unsqueeze(-2), _mT(U))


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B`` with torch's CPU default driver ``gelsy``: the
    solution, the squared residuals (only when m > n and A has full rank), the rank, and no
    singular values (``gelsy`` computes none). Differentiable in the solution (via pinv)."""
    if driver not in (None, "gelsy", "gelsd", "gelss", "gels"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    driver = driver or "gelsy"
    vec = B._data.ndim == A._data.ndim - 1
    Bm = B.unsqueeze(-1) if vec else B
    X = matmul(pinv(A, rtol=rcond), Bm)
    m, n = A._data.shape[-2:]
    rank = matrix_rank(A.detach(), rtol=rcond) if driver != "gels" else _W(np.zeros(0, np.int64))
    res = _W(np.zeros(0, A._data.dtype))
    if m > n and driver != "gelsy" and int(np.min(rank._data, initial=n)) == n:
        r = matmul(A.detach(), X.detach()) - Bm.detach()
        res = R.sum(r * r, dim=-2)
    if driver in ("gelsd", "gelss"):
        sv = svdvals(A.detach())
    else:
        sv = _W(np.zeros(0, A._data.dtype))
    return _LSTSQ(X.squeeze(-1) if vec else X, res, rank, sv)


# ---- triangular solve, powers, norms --------------------------------------------------------


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """Solution of ``A X = B`` (``X A = B`` with ``left=False``) for triangular ``A``."""

    T = A.triu() if upper else A.tril()
    if unitriangular:
        n = A._data.shape[-1]
        eye = _W(np.eye(n, dtype=A._data.dtype))
        T = T * (1 - eye) + eye
    Ti = inv(T)
    return matmul(Ti, B) if left else matmul(B, Ti)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Matrix norms: 'fro', 'nuc', 2 / -2 (largest / smallest singular value), 1 / -1 (max /
    min column abs sum), inf / -inf (max / min row abs sum)."""
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A._data.ndim for d in dim)
    if ord == "fro":
        return R.norm(A, p="fro", dim=(d0, d1), keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1)) if (d0, d1) != (A._data.ndim - 2,
                                                              A._data.ndim - 1) else A
        s = linalg_svd(moved, full_matrices=False)[1]
        r = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            r = r.unsqueeze(builtins.min(d0, d1)).unsqueeze(builtins.max(d0, d1))
        return r
    if ord in (1, -1, float("inf"), float("-inf")):
        sum_dim, pick_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        s = A.abs().sum(dim=sum_dim, keepdim=True)
        r = s.amax(dim=pick_dim, keepdim=True) if ord > 0 else s.amin(dim=pick_dim, keepdim=True)
        return r if keepdim else r.squeeze(builtins.max(d0, d1)).squeeze(builtins.min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def linalg_norm(x, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """``torch.linalg.norm``: a vector norm over one dim or all elements, else a matrix norm
    (over two dims, or of a 2-D input when ``ord`` is given without ``dim``)."""
    if dim is None and ord is not None:
        if x._data.ndim == 2:
            return matrix_norm(x, ord, (-2, -1), keepdim, dtype=dtype)
        if x._data.ndim != 1:
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {x._data.ndim}D.")
    if ord is None or dim is None or isinstance(dim, int):
        return linalg_vector_norm(x, 2 if ord is None else ord, dim, keepdim)
    return matrix_norm(x, ord, dim, keepdim)

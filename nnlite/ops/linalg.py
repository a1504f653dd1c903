"""Matrix products on numpy's BLAS: matmul (1-D, 2-D, batched with broadcasting), mm, bmm, dot."""

from __future__ import annotations

import builtins
import math

import numpy as np

from nnlite import _blas
from nnlite._tensor import Tensor
from nnlite.autograd.function import AccumulateGrad, Node, record
from nnlite.autograd.grad_mode import _GradState, no_grad
from nnlite.ops import elementwise as E
from nnlite.ops import reduce as R
from nnlite.ops import shape as S
from nnlite.ops._util import TYPE_NAMES as _TYPE_NAMES
from nnlite.ops._util import broadcast_shape, sum_to, wrap_dim
from nnlite.ops.shape import _tensor_list

_W = Tensor._wrap


def _check_dtypes(a, b, name):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_dn(a)} != {_dn(b)}"
            if name == "mm" else
            f"expected scalar type {_dn(a).capitalize()} but found {_dn(b).capitalize()}"
        )


def _dn(t):
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int"}.get(
        t._data.dtype.name, t._data.dtype.name
    )


def _weight_grad(g2: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``grad_W = g^T x`` (one BLAS call), into ``out`` when given. A module-level function so
    tests can prove that a frozen weight never reaches it."""
    return _blas.matmul(g2.T, x2, out)  # the BLAS chosen for the shape (nnlite._blas)


def _slot_for(edge, shape, dtype):
    """The gradient slot (``_grad_slot``, see ``nnlite.optim.flat``) of the leaf behind the
    AccumulateGrad node ``edge`` that this backward may write its gradient of ``shape`` and
    ``dtype`` into, or None: only while the leaf's ``.grad`` is None, no tensor handed out from
    the slot is alive, no tensor hook would see the gradient first, and the slot array ends its
    base chain (a DDP bucket view: the transpose node then hands a weight gradient back as that
    very array, which the engine adopts as ``.grad``; a view of a larger array would come back
    as a new view object and be copied)."""
    if edge.__class__ is not AccumulateGrad:
        return None
    v = edge.variable
    slot = v.__dict__.get("_grad_slot")
    if slot is None or v._grad is not None or v._hooks:
        return None
    arr, ref = slot[0], slot[1]
    if ref is not None and ref() is not None:
        return None
    if (arr.shape != shape or arr.dtype != dtype or isinstance(arr.base, np.ndarray)
            or not arr.flags.writeable):
        return None
    return arr


def _col_sum(g2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``g2.sum(axis=0)`` for the bias gradient, added in torch's order (the same bits as torch's
    bias gradient; the kernel is also quicker than numpy's reduction and a BLAS gemv at these
    sizes); ``out`` receives it when given."""
    return R.col_sum(g2, out)


class _LinearRowsBackward(Node):
    """Backward of ``y2 = x2 W^T + b`` on the 2-D rows ``x2`` (the AddmmBackward0/MmBackward0
    node of torch's graph): ``gx2 = g W``, ``gW = g^T x2``, ``gb = sum_rows g``.

    Its edges are torch's: (bias, x2, W^T) for addmm, (x2, W^T) for mm, where x2 and W^T are
    light reshape/transpose nodes; the gradient for ``W^T`` is returned as a transposed view of
    the contiguous ``gW``, which TBackward0 turns back without a copy.
    """

    def backward(self, g):
        if self.in_f is None:  # torch.addmm itself (not F.linear): the general formula
            return _add_product_grads(self, g)
        x, w = self._unpacked_saved
        nig = self.needs_input_grad
        has_b = len(nig) == 3
        need_x, need_w = nig[1 if has_b else 0], nig[-1]
        in_f, out_f = self.in_f, self.out_f
        gx = gw = gb = None
        rows = math.prod(g._data.shape[:-1])  # not -1: in_f or out_f may be 0
        if not _GradState.enabled:
            g2 = g._data.reshape(rows, out_f)
            nf = self.next_functions
            if need_x:
                gx = _W(_blas.matmul(g2, w._data))
            if need_w:
                # a leaf with a gradient slot (DDP's bucket) gets its gradient written there
                slot = None
                acc = nf[-1][0].next_functions[0][0]  # W^T's node -> the weight's
                if acc.__class__ is AccumulateGrad and acc.variable.__dict__:
                    slot = _slot_for(acc, (out_f, in_f), g2.dtype)
                x2 = x._data.reshape(rows, in_f)
                gw = _W((_weight_grad(g2, x2) if slot is None else
                         _weight_grad(g2, x2, slot)).T)
            if has_b and nig[0]:
                slot = None
                acc = nf[0][0]
                if acc.__class__ is AccumulateGrad and acc.variable.__dict__:
                    slot = _slot_for(acc, (out_f,), g2.dtype)
                gb = _W(_col_sum(g2, slot))
        else:
            g2 = g.reshape(rows, out_f)
            if need_x:
                gx = g2.mm(w)
            if need_w:
                gw = g2.t().mm(x.reshape(rows, in_f)).t()
            if has_b and nig[0]:
                gb = g2.sum(0)
        return (gb, gx, gw) if has_b else (gx, gw)




class AddmmBackward0(_LinearRowsBackward):
    """``torch.addmm(input, m1, m2, beta=, alpha=)``, and the core node of ``F.linear`` with
    bias (torch's graph: addmm(bias, x2, W^T), ``in_f`` set by ``ops.nn.linear``)."""

    in_f = None

    @staticmethod
    def product_grads(g, m1, m2, need1, need2):
        return (mm(g, m2.t()) if need1 else None), (mm(m1.t(), g) if need2 else None)


class MmBackward0(Node):
    """``mm``'s node; also the core node of ``F.linear`` without bias (``ops.nn.linear`` sets
    ``in_f``), whose formula is ``_LinearRowsBackward``'s."""

    in_f = None

    def backward(self, g):
        if self.in_f is not None:
            return _LinearRowsBackward.backward(self, g)
        a, b = self._unpacked_saved
        ga = gb = None
        if not _GradState.enabled:
            gd = g._data
            if self.needs_input_grad[0]:
                ga = _W(_blas.matmul(gd, b._data.T))
            if self.needs_input_grad[1]:
                gb = _W(_blas.matmul(a._data.T, gd))
            return ga, gb
        if self.needs_input_grad[0]:
            ga = mm(g, b.t())
        if self.needs_input_grad[1]:
            gb = mm(a.t(), g)
        return ga, gb


def mm(a, b):
    ad, bd = a._data, b._data
    if ad.ndim != 2 or bd.ndim != 2:
        raise RuntimeError(f"{'self' if ad.ndim != 2 else 'mat2'} must be a matrix")
    if ad.shape[1] != bd.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({ad.shape[0]}x{ad.shape[1]} and "
            f"{bd.shape[0]}x{bd.shape[1]})"
        )
    _check_dtypes(a, b, "mm")
    out = _W(_blas.matmul(ad, bd))  # the BLAS chosen for the shape (nnlite._blas)
    record(out, MmBackward0, (a, b), (a, b))
    return out


class DotBackward0(Node):
    def backward(self, g):
        a, b = self._unpacked_saved
        ga = g * b if self.needs_input_grad[0] else None
        gb = g * a if self.needs_input_grad[1] else None
        return ga, gb


class MvBackward0(Node):
    """``mv(A, v)``: ``gA = outer(g, v)``, ``gv = A^T g``."""

    def backward(self, g):
        a, v = self._unpacked_saved
        ga = outer(g, v) if self.needs_input_grad[0] else None
        gv = mv(a.t(), g) if self.needs_input_grad[1] else None
        return ga, gv


class BmmBackward0(Node):
    """``bmm``: ``ga = g @ b^T``, ``gb = a^T @ g`` per batch (one BLAS call each)."""

    def backward(self, g):
        a, b = self._unpacked_saved
        ga = gb = None
        if not _GradState.enabled:
            gd = g._data
            if self.needs_input_grad[0]:
                ga = _W(np.matmul(gd, b._data.transpose(0, 2, 1)))
            if self.needs_input_grad[1]:
                gb = _W(np.matmul(a._data.transpose(0, 2, 1), gd))
            return ga, gb
        if self.needs_input_grad[0]:
            ga = bmm(g, b.transpose(1, 2))
        if self.needs_input_grad[1]:
            gb = bmm(a.transpose(1, 2), g)
        return ga, gb


def _matmul_shapes_check(a, b):
    ad, bd = a._data, b._data
    na, nb = ad.ndim, bd.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D"
        )
    ka = ad.shape[-1]
    kb = bd.shape[0] if nb == 1 else bd.shape[-2]
    if ka != kb:
        if na == 1 and nb == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{ad.shape[0]}] and src "
                f"[{bd.shape[0]}] to have the same number of elements, but got {ad.shape[0]} and "
                f"{bd.shape[0]} elements respectively"
            )
        if nb == 1:
            raise RuntimeError(
                f"size mismatch, got input ({ad.shape[-2]}), mat ({ad.shape[-2]}x{ka}), vec ({kb})"
            )
        ash = "x".join(map(str, ad.shape if na <= 2 else (int(np.prod(ad.shape[:-1])), ka)))
        bsh = "x".join(map(str, bd.shape if nb <= 2 else (kb, bd.shape[-1])))
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({ash} and {bsh})"
            if na <= 2 or nb <= 2 else
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{ad.shape[0]}, {ka}] but got: [{bd.shape[0]}, {kb}]."
        )
    if ad.dtype != bd.dtype:
        _check_dtypes(a, b, "matmul")
    if na >= 3 or nb >= 3:
        try:
            return np.broadcast_shapes(ad.shape[:-2] if na > 1 else (),
                                       bd.shape[:-2] if nb > 1 else ())
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a must match the size of tensor b at non-singleton "
                f"dimension: batch shapes {list(ad.shape[:-2])} and {list(bd.shape[:-2])}"
            ) from None
    return ()


def _foldable(t1, t2, first_dim):
    """torch's ``should_fold`` for a batched ``t1`` times a matrix/vector ``t2``: always when
    ``t2`` needs a gradient (its backward then is one product, not a batch of them summed);
    never when the first operand was 2-D (a transposed result would need a copy); otherwise
    when ``t1``'s rows can be stacked into one matrix without a copy."""
    if t2._requires_grad:
        return True
    if first_dim == 2:
        return False
    if t1._data.size == 0:
        return True
    sh, st = t1._data.shape, t1._data.strides
    return builtins.all(st[i] == st[i + 1] * sh[i + 1] for i in range(len(sh) - 1))


def matmul(a, b):
    """Matrix product with NumPy/PyTorch semantics for 1-D, 2-D and batched operands.

    The graph is torch's decomposition (its nodes, in its order): ``dot``/``mv``/``mm`` for
    1-D and 2-D operands, a batched operand times a matrix folded into one ``mm`` (rows
    stacked by a view, result ``_unsafe_view``-ed back), otherwise both operands expanded to
    the broadcast batch shape, reshaped to 3-D, one ``bmm``, ``_unsafe_view`` to the result.
    """
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(
            f"matmul(): argument 'other' must be Tensor, not "
            f"{type(b if isinstance(a, Tensor) else a).__name__}"
        )
    na, nb = a._data.ndim, b._data.ndim
    if na == 2 and nb == 2:
        return mm(a, b)
    batch = _matmul_shapes_check(a, b)
    if na == 1 and nb == 1:
        out = _W(np.asarray(np.dot(a._data, b._data)))
        record(out, DotBackward0, (a, b), (a, b))
        return out
    if na == 2 and nb == 1:
        return mv(a, b)
    if na == 1 and nb == 2:
        return S.squeeze4(mm(S.unsqueeze(a, 0), b), 0)
    if na >= 3 and nb <= 2 and _foldable(a, b, na):
        sh = a._data.shape
        folded = S.reshape(a, (-1, sh[-1]))
        prod = mv(folded, b) if nb == 1 else mm(folded, b)
        return S.unsafe_view(prod, sh[:-1] + ((b._data.shape[1],) if nb == 2 else ()))
    if nb >= 3 and na <= 2 and _foldable(b.transpose(-1, -2), a, na):
        # (a @ b)^T = b^T @ a^T, folded on b^T (torch's transposed fold)
        t1 = b.transpose(-1, -2)
        sh = t1._data.shape
        folded = S.reshape(t1, (-1, sh[-1]))
        if na == 1:
            return S.unsafe_view(mv(folded, a), sh[:-1])
        prod = S.unsafe_view(mm(folded, a.t()), sh[:-1] + (a._data.shape[0],))
        return S.clone(prod.transpose(-1, -2), "C")
    n = a._data.shape[-2] if na > 1 else 1
    m = a._data.shape[-1]
    p = b._data.shape[-1] if nb > 1 else 1
    bp = int(np.prod(batch, dtype=np.int64))
    a3 = S.reshape(S.expand(a if na > 1 else S.unsqueeze(a, 0), batch + (n, m)), (bp, n, m))
    b3 = S.reshape(S.expand(b if nb > 1 else S.unsqueeze(b, -1), batch + (m, p)), (bp, m, p))
    shape = batch + ((n,) if na > 1 else ()) + ((p,) if nb > 1 else ())
    return S.unsafe_view(bmm(a3, b3), shape)


def mv(a, v):
    ad, bd = a._data, v._data
    if ad.ndim != 2 or bd.ndim != 1:
        raise RuntimeError("vector + matrix @ vector expected, got "
                           f"{ad.ndim}, {ad.ndim}, {bd.ndim}")
    if ad.shape[1] != bd.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({ad.shape[0]}), mat "
                           f"({ad.shape[0]}x{ad.shape[1]}), vec ({bd.shape[0]})")
    _check_dtypes(a, v, "mv")
    out = _W(np.asarray(np.matmul(ad, bd)))
    record(out, MvBackward0, (a, v), (a, v))
    return out


def bmm(a, b):
    if a._data.ndim != 3 or b._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if a._data.shape[0] != b._data.shape[0] or a._data.shape[2] != b._data.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a._data.shape[0]}, {a._data.shape[2]}] but got: "
            f"[{b._data.shape[0]}, {b._data.shape[1]}]."
        )
    _check_dtypes(a, b, "bmm")
    out = _W(np.asarray(np.matmul(a._data, b._data)))
    record(out, BmmBackward0, (a, b), (a, b))
    return out


def dot(a, b):
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors"
        )
    return matmul(a, b)


def inner(input, other):
    """Sum of products over the last dimension of both (``dot`` for two 1-D tensors; a 0-dim
    operand multiplies)."""
    a, b = input, other
    if a._data.ndim == 0 or b._data.ndim == 0:
        return a * b
    if a._data.ndim == 1 and b._data.ndim == 1:
        return dot(a, b)
    if a._data.shape[-1] != b._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(a._data.shape)} and {list(b._data.shape)}")
    return tensordot(a, b, dims=([-1], [-1]))


def outer(a, b):
    for name, t in (("self", a), ("vec2", b)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                               f"{t._data.ndim}-D")
    # torch's graph: a viewed as a column times b (MulBackward0 <- ViewBackward0)
    return S.reshape(a, (-1, 1)) * b


ger = outer


def addmm(c, a, b, beta=1, alpha=1):
    """``beta * c + alpha * (a @ b)`` (one node, AddmmBackward0)."""
    return _add_product(AddmmBackward0, c, a, b, mm, beta, alpha)


# ---- input + scaled product: addmm, addmv, addr, baddbmm, addbmm ---------------------------


def _scaled(t, s):
    return t if s == 1 else t * s


def _add_product_grads(node, g):
    """``out = beta * input + alpha * prod(m1, m2)``: ``g * beta`` summed back to ``input``'s
    shape, the product's gradients (``node.product_grads``) times ``alpha``."""
    m1, m2 = node._unpacked_saved
    nig = node.needs_input_grad
    gi = sum_to(_scaled(g, node.beta), node.in_shape) if nig[0] else None
    g1 = g2 = None
    if nig[1] or nig[2]:
        g1, g2 = node.product_grads(g, m1, m2, nig[1], nig[2])
        g1 = None if g1 is None else _scaled(g1, node.alpha)
        g2 = None if g2 is None else _scaled(g2, node.alpha)
    return gi, g1, g2


class _AddProductBackward(Node):
    def backward(self, g):
        return _add_product_grads(self, g)


class AddmvBackward0(_AddProductBackward):
    @staticmethod
    def product_grads(g, mat, vec, need1, need2):
        return (outer(g, vec) if need1 else None), (mv(mat.t(), g) if need2 else None)


class AddrBackward0(_AddProductBackward):
    @staticmethod
    def product_grads(g, v1, v2, need1, need2):
        return (mv(g, v2) if need1 else None), (mv(g.t(), v1) if need2 else None)


class BaddbmmBackward0(_AddProductBackward):
    @staticmethod
    def product_grads(g, b1, b2, need1, need2):
        return ((bmm(g, b2.transpose(1, 2)) if need1 else None),
                (bmm(b1.transpose(1, 2), g) if need2 else None))


class AddbmmBackward0(_AddProductBackward):
    @staticmethod
    def product_grads(g, b1, b2, need1, need2):
        ge = S.expand(S.unsqueeze(g, 0), (b1._data.shape[0],) + g._data.shape)
        return BaddbmmBackward0.product_grads(ge, b1, b2, need1, need2)


def _add_product(node_cls, input, m1, m2, prod, beta, alpha):
    """``beta * input + alpha * prod(m1, m2)`` as one ``node_cls`` node with edges (input, m1,
    m2); ``beta == 0`` ignores ``input`` (NaN/inf in it do not propagate), as torch."""
    with no_grad():
        p = prod(m1, m2)._data
    if alpha != 1:
        p = p * alpha
    cd = input._data
    try:
        ok = np.broadcast_shapes(cd.shape, p.shape) == p.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"The expanded size of the tensor must match the existing size: "
                           f"input of shape {list(cd.shape)} cannot be broadcast to the "
                           f"product's shape {list(p.shape)}")
    if beta != 0:
        p = p + (cd if beta == 1 else cd * beta)
    out = _W(np.asarray(p, dtype=np.result_type(cd.dtype, p.dtype)))
    node = record(out, node_cls, (input, m1, m2), (m1, m2))
    if node is not None:
        node.beta, node.alpha, node.in_shape = beta, alpha, cd.shape
    return out


def _summed_bmm(a, b):
    return R.sum(bmm(a, b), dim=0)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    return _add_product(AddmvBackward0, input, mat, vec, mv, beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _add_product(AddrBackward0, input, vec1, vec2, outer, beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    return _add_product(BaddbmmBackward0, input, batch1, batch2, bmm, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    return _add_product(AddbmmBackward0, input, batch1, batch2, _summed_bmm, beta, alpha)


# ---- distances ------------------------------------------------------------------------------


class DistBackward0(Node):
    """``dist(x, y, p)``: ``norm_backward`` of ``x - y``, summed back to each input's shape."""

    def backward(self, g):
        x, y, out = self._unpacked_saved
        gd = R.norm_grad(E.sub(x, y), out, g, self.p, None, False)
        if gd is None:
            return None, None
        gx = sum_to(gd, x._data.shape) if self.needs_input_grad[0] else None
        gy = sum_to(-gd, y._data.shape) if self.needs_input_grad[1] else None
        return gx, gy


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast), one node (DistBackward0)."""
    with no_grad():
        d = E.sub(input, other)
        r = R.norm(d, p=p)
    out = _W(r._data)
    node = record(out, DistBackward0, (input, other), (input, other, out))
    if node is not None:
        node.p = 2.0 if p in ("fro", None) else builtins.float(p)
    return out


class CdistBackward0(Node):
    """``cdist``: ``norm_backward`` of the pairwise differences over their last dim, summed over
    the other set's rows (and broadcast batch dims)."""

    def backward(self, g):
        x1, x2, out = self._unpacked_saved
        d = S.unsqueeze(x1, -2) - S.unsqueeze(x2, -3)
        gd = R.norm_grad(d, out, g, self.p, (d._data.ndim - 1,), False)
        if gd is None:
            return None, None
        g1 = sum_to(R.sum(gd, dim=-2), x1._data.shape) if self.needs_input_grad[0] else None
        g2 = sum_to(-R.sum(gd, dim=-3), x2._data.shape) if self.needs_input_grad[1] else None
        return g1, g2


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise ``p``-norm distances between the rows of ``x1`` (.., P, M) and ``x2`` (.., R, M)."""
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1._data.ndim}D"
            if x1._data.ndim < 2 else f"cdist only supports at least 2D tensors, X2 got: "
            f"{x2._data.ndim}D"
        )
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} X2: "
            f"{x2._data.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    with no_grad():
        r = R.norm(S.unsqueeze(x1, -2) - S.unsqueeze(x2, -3), p=p, dim=-1)
    out = _W(r._data)
    node = record(out, CdistBackward0, (x1, x2), (x1, x2, out))
    if node is not None:
        node.p = builtins.float(p)
    return out


# ---- products of vectors, Kronecker ---------------------------------------------------------


class VdotBackward0(Node):
    def backward(self, g):
        a, b = self._unpacked_saved
        return (g * b if self.needs_input_grad[0] else None,
                g * a if self.needs_input_grad[1] else None)


def vdot(input, other):
    """``sum(conj(input) * other)`` of two 1-D tensors (one node, VdotBackward0)."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
            f"[{other._data.shape[0]}] to have the same number of elements, but got "
            f"{input._data.shape[0]} and {other._data.shape[0]} elements respectively")
    _check_dtypes(input, other, "vdot")
    out = _W(np.asarray(np.vdot(input._data, other._data)))
    record(out, VdotBackward0, (input, other), (input, other))
    return out


class LinalgCrossBackward0(Node):
    """``cross(a, b)``: ``ga = cross(b, g)``, ``gb = cross(g, a)`` (summed back to each
    input's shape when they were broadcast)."""

    def backward(self, g):
        a, b = self._unpacked_saved
        d = self.dim
        ga = sum_to(cross(b, g, d), a._data.shape) if self.needs_input_grad[0] else None
        gb = sum_to(cross(g, a, d), b._data.shape) if self.needs_input_grad[1] else None
        return ga, gb


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (default: the first dimension of size 3)."""
    if input._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {_TYPE_NAMES[input._data.dtype.name]} but found "
                           f"{_TYPE_NAMES[other._data.dtype.name]} (cross of two dtypes: convert "
                           "one with .to(other.dtype))")
    shape = broadcast_shape(input._data.shape, other._data.shape)
    if dim is None:
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = wrap_dim(dim, len(shape))
    if shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{input._data.shape[d] if input._data.ndim > d else 1} and "
            f"{other._data.shape[d] if other._data.ndim > d else 1}"
        )
    ad, bd = np.broadcast_to(input._data, shape), np.broadcast_to(other._data, shape)
    out = _W(np.ascontiguousarray(np.cross(ad, bd, axis=d)))
    node = record(out, LinalgCrossBackward0, (input, other), (input, other))
    if node is not None:
        node.dim = d - len(shape)  # from the end: the inputs may have fewer dims
    return out


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` dims of ``a`` with the first of ``b`` (or the listed pairs)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, builtins.int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(a._data.ndim - dims, a._data.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, builtins.int) else list(da)
        db = [db] if isinstance(db, builtins.int) else list(db)
    da = [wrap_dim(i, a._data.ndim) for i in da]
    db = [wrap_dim(i, b._data.ndim) for i in db]
    for i, j in zip(da, db):
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[i]} "
                f"in dim {i} and second has size {b._data.shape[j]} in dim {j}"
            )
    fa = [i for i in range(a._data.ndim) if i not in da]
    fb = [i for i in range(b._data.ndim) if i not in db]
    k = builtins.int(np.prod([a._data.shape[i] for i in da]))
    am = S.permute(a, tuple(fa + da)).reshape(-1, k)
    bm = S.permute(b, tuple(db + fb)).reshape(k, -1)
    shape = tuple(a._data.shape[i] for i in fa) + tuple(b._data.shape[i] for i in fb)
    return mm(am, bm).reshape(shape)


def kron(input, other):
    """Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other``."""
    nd = builtins.max(input._data.ndim, other._data.ndim)
    sa = (1,) * (nd - input._data.ndim) + input._data.shape
    sb = (1,) * (nd - other._data.ndim) + other._data.shape
    a = input.reshape(tuple(x for s in sa for x in (s, 1)))
    b = other.reshape(tuple(x for s in sb for x in (1, s)))
    # torch's graph: _unsafe_view of the product of the interleaved views
    return S.unsafe_view(a * b, tuple(p * q for p, q in zip(sa, sb)))


def chain_matmul(*matrices):
    """The product of 2-D matrices in the cheapest order (torch's ``multi_dot``: matrix-chain
    order, the products as ``mm`` nodes, the result viewed to its shape)."""
    ms = _tensor_list(matrices)
    if len(ms) == 1:
        return ms[0].clone()
    dims = [m._data.shape[0] for m in ms] + [ms[-1]._data.shape[1]]
    n = len(ms)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for span in range(1, n):
        for i in range(n - span):
            j = i + span
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or q < cost[i][j]:  # first split wins a tie, as torch
                    cost[i][j], split[i][j] = q, k

    def product(i, j):
        if i == j:
            return ms[i]
        k = split[i][j]
        return mm(product(i, k), product(k + 1, j))

    return product(0, n - 1).view(dims[0], dims[-1])


def matrix_power(input, n):
    """``input`` multiplied by itself ``n`` times (the identity for 0, the inverse for n < 0)."""
    x = input
    sh = x._data.shape
    if len(sh) < 2 or sh[-1] != sh[-2]:
        raise RuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{sh[-2] if len(sh) > 1 else 1} by {sh[-1] if sh else 1} matrices"
        )
    if n == 0:
        eye = _W(np.broadcast_to(np.eye(sh[-1], dtype=x._data.dtype), sh).copy())
        return E.where(_W(np.ones((), np.bool_)), eye, x)  # connected to x, zero gradient
    if n < 0:
        x, n = linalg_inv(x), -n
    out = x
    for _ in range(n - 1):
        out = matmul(out, x)
    return out


def det(input):
    return linalg_det(input)


def inverse(input):
    return linalg_inv(input)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of ``input`` over its columns (observations).

    torch's graph: ``mm`` of the centred rows, divided by the normalisation (a tensor without
    gradient), squeezed."""
    x = input if input._data.ndim == 2 else input.reshape(1, -1)
    n = x._data.shape[1]
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is not None:
        wsum = R.sum(w)
        avg = R.sum(x * w, dim=1) / wsum
        if correction == 0:
            norm_ = wsum
        elif aweights is None:
            norm_ = wsum - correction
        else:
            norm_ = wsum - correction * R.sum(w * aweights) / wsum
    else:
        wsum = _W(np.asarray(n, np.int64))
        avg = R.sum(x, dim=1) / wsum
        norm_ = _W(np.asarray(n - correction, np.int64))
    if builtins.bool(norm_._data <= 0):
        norm_ = E.zeros_like(norm_)
    xc = x - S.unsqueeze(avg, 1)
    c = mm(xc, (xc if w is None else xc * w).t())
    return S.squeeze(E.true_divide(c, norm_))


def corrcoef(input):
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    d = E.sqrt(S.diagonal(c))
    c = c / S.unsqueeze(d, 1) / S.unsqueeze(d, 0)
    return E.clamp(c, -1, 1)


# ---- torch.linalg (the facade nnlite.linalg names these without the prefix) ----------------


def linalg_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all elements if None)."""
    if dim is None:
        x = x.reshape(-1)
    return R.norm(x, p=ord, dim=dim, keepdim=keepdim)


# linalg.matrix_norm and linalg.norm (matrix orders use the SVD): nnlite.ops.decompositions


class LinalgInvExBackward0(Node):
    def backward(self, g):
        (y,) = self._unpacked_saved
        yt = y.transpose(-1, -2)
        return (-(matmul(matmul(yt, g), yt)),)


def linalg_inv(a):
    """Matrix inverse; d(A^-1) = -A^-1 dA A^-1."""
    try:
        out = Tensor._wrap(np.linalg.inv(a._data))
    except np.linalg.LinAlgError:
        raise RuntimeError(
            "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
            "because the input matrix is singular."
        ) from None
    record(out, LinalgInvExBackward0, (a,), (out,))
    return out


class LinalgDetBackward0(Node):
    def backward(self, g):
        a, d = self._unpacked_saved
        ainv_t = linalg_inv(a).transpose(-1, -2)
        return ((g * d).unsqueeze(-1).unsqueeze(-1) * ainv_t,)


def linalg_det(a):
    out = Tensor._wrap(np.asarray(np.linalg.det(a._data)))
    record(out, LinalgDetBackward0, (a,), (a, out))
    return out


def linalg_solve(a, b):
    """Solution of ``a @ x = b`` (differentiable through ``inv``)."""
    if b._data.ndim == a._data.ndim - 1:
        return matmul(linalg_inv(a), b.unsqueeze(-1)).squeeze(-1)
    return matmul(linalg_inv(a), b)

"""Matrix products on numpy's BLAS: matmul (1-D, 2-D, batched with broadcasting), mm, bmm, dot."""

from __future__ import annotations

import numpy as np

from nnlite import _dtype as D
from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _GradState
from nnlite.ops._util import sum_to

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


class MmBackward0(Node):
    def backward(self, g):
        a, b = self._unpacked_saved
        ga = gb = None
        if not _GradState.enabled:
            gd = g._data
            if self.needs_input_grad[0]:
                ga = _W(gd @ b._data.T)
            if self.needs_input_grad[1]:
                gb = _W(a._data.T @ gd)
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
    out = _W(ad @ bd)
    record(out, MmBackward0, (a, b), (a, b))
    return out


class MatmulBackward(Node):
    """General matmul backward: promote 1-D operands, multiply, sum broadcast batch dims."""

    def backward(self, g):
        a, b = self._unpacked_saved
        a_p = a.unsqueeze(0) if a._data.ndim == 1 else a
        b_p = b.unsqueeze(-1) if b._data.ndim == 1 else b
        ash, bsh = a_p._data.shape, b_p._data.shape
        out_p = np.broadcast_shapes(ash[:-2], bsh[:-2]) + (ash[-2], bsh[-1])
        gp = g.reshape(out_p) if g._data.shape != out_p else g
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(matmul(gp, b_p.transpose(-1, -2)), a_p._data.shape)
            ga = ga.reshape(a._data.shape)
        if self.needs_input_grad[1]:
            gb = sum_to(matmul(a_p.transpose(-1, -2), gp), b_p._data.shape)
            gb = gb.reshape(b._data.shape)
        return ga, gb


class DotBackward0(MatmulBackward):
    pass


class MvBackward0(MatmulBackward):
    pass


class BmmBackward0(MatmulBackward):
    pass


class UnsafeViewBackward0(MatmulBackward):
    pass


def matmul(a, b):
    """Matrix product with NumPy/PyTorch semantics for 1-D, 2-D and batched operands."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(
            f"matmul(): argument 'other' must be Tensor, not "
            f"{type(b if isinstance(a, Tensor) else a).__name__}"
        )
    ad, bd = a._data, b._data
    na, nb = ad.ndim, bd.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D"
        )
    if na == 2 and nb == 2:
        return mm(a, b)
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
            np.broadcast_shapes(ad.shape[:-2] if na > 1 else (), bd.shape[:-2] if nb > 1 else ())
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a must match the size of tensor b at non-singleton "
                f"dimension: batch shapes {list(ad.shape[:-2])} and {list(bd.shape[:-2])}"
            ) from None
    out = _W(np.asarray(np.matmul(ad, bd)))
    if na == 1 and nb == 1:
        cls = DotBackward0
    elif nb == 1 and na == 2:
        cls = MvBackward0
    elif na == 3 and nb == 3 and ad.shape[0] == bd.shape[0]:
        cls = BmmBackward0
    else:
        cls = UnsafeViewBackward0
    record(out, cls, (a, b), (a, b))
    return out


def bmm(a, b):
    if a._data.ndim != 3 or b._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if a._data.shape[0] != b._data.shape[0] or a._data.shape[2] != b._data.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a._data.shape[0]}, {a._data.shape[2]}] but got: "
            f"[{b._data.shape[0]}, {b._data.shape[1]}]."
        )
    return matmul(a, b)


def dot(a, b):
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors"
        )
    return matmul(a, b)


inner = dot


def mv(a, v):
    return matmul(a, v)


def outer(a, b):
    return a.unsqueeze(1) * b.unsqueeze(0)


ger = outer


def addmm(c, a, b, beta=1, alpha=1):
    r = mm(a, b)
    if alpha != 1:
        r = r * alpha
    return r + (c if beta == 1 else c * beta)


def einsum(equation, *operands):
    """einsum for two-operand contractions expressible as products (differentiable via a node)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    out = _W(np.asarray(np.einsum(equation, *[o._data for o in operands])))
    node = record(out, EinsumBackward, tuple(operands), tuple(operands))
    if node is not None:
        node.eq = equation.replace(" ", "")
    return out


class EinsumBackward(Node):
    def backward(self, g):
        ops = self._unpacked_saved
        lhs, rhs = self.eq.split("->") if "->" in self.eq else (self.eq, None)
        ins = lhs.split(",")
        if rhs is None:
            from collections import Counter

            c = Counter(ch for ch in lhs if ch.isalpha())
            rhs = "".join(sorted(ch for ch, k in c.items() if k == 1))
        res = []
        for i, spec in enumerate(ins):
            if not self.needs_input_grad[i]:
                res.append(None)
                continue
            others = [s for j, s in enumerate(ins) if j != i]
            other_ops = [o for j, o in enumerate(ops) if j != i]
            if len(set(spec)) != len(spec):
                raise RuntimeError("einsum backward with repeated indices in one operand is not supported")
            # letters of this operand missing from the others and the output are broadcast sums
            avail = set(rhs) | set("".join(others))
            keep = "".join(ch for ch in spec if ch in avail)
            gi = einsum(",".join([rhs] + others) + "->" + keep, g, *other_ops)
            if keep != spec:
                shape = [ops[i]._data.shape[spec.index(ch)] if ch in keep else 1 for ch in spec]
                perm_spec = "".join(ch for ch in spec if ch in keep)
                gi = gi.reshape(tuple(ops[i]._data.shape[spec.index(ch)] for ch in perm_spec))
                gi = gi.reshape(tuple(s if spec[k] in keep else 1 for k, s in enumerate(shape)))
                gi = gi.expand(ops[i]._data.shape)
            res.append(gi)
        return tuple(res)

"""``einsum`` built from the ops torch's own CPU einsum uses, so its graph is torch's.

torch's algorithm (aten's native einsum): every operand is brought to one common label order
(output labels first, then the ellipsis dims when they are summed, then the contracted labels):
a repeated label takes a diagonal (``diagonal`` + ``movedim``), a missing label is an
``unsqueeze``, and one ``permute`` aligns the dims. The operands are then contracted left to
right (torch's order when opt_einsum is absent or disabled, its default on a plain install): a
contracted dim that only one of the two operands still has is summed first (``sum(keepdim)``),
and the pair goes through ``sumproduct_pair``: ``mul`` when nothing is summed, otherwise
``permute -> reshape -> bmm -> view -> permute``. A single operand's contracted dims are summed
at the end; with several operands, the size-1 contracted dims left are dropped by a ``view``.
Because every step is an nnlite op, values, gradients and double backward come for free and the
grad_fn chain (PermuteBackward0, UnsqueezeBackward0, DiagonalBackward0, SumBackward1,
MulBackward0, ViewBackward0, BmmBackward0) is the one torch shows.
"""

from __future__ import annotations

from nnlite._tensor import Tensor
from nnlite.ops import elementwise as E
from nnlite.ops import reduce as R
from nnlite.ops import shape as S
from nnlite.ops.linalg import bmm

_ELLIPSIS = 52  # labels: 'A'-'Z' -> 0..25, 'a'-'z' -> 26..51 (torch's numbering)


def _subscript(label: str) -> int:
    return ord(label) - ord("A") if label.isupper() else ord(label) - ord("a") + 26


def _letter(s: int) -> str:
    return chr(ord("A") + s) if s < 26 else chr(ord("a") + s - 26)


def _sublist_equation(args) -> tuple[str, list]:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``: torch's sublist format as an equation."""
    def part(sub):
        out = ""
        for s in sub:
            if s is Ellipsis:
                out += "..."
            elif isinstance(s, int) and 0 <= s < 52:
                out += _letter(s)
            else:
                raise ValueError(
                    "einsum(): expected subscript to be within the range [0, 52) or Ellipsis, "
                    f"but got {s!r}")
        return out

    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(ops) > len(subs):  # an odd count: the last item is the output sublist
        out = ops.pop()
        if isinstance(out, Tensor):
            raise ValueError("einsum(): missing subscripts for the last operand")
    eq = ",".join(part(s) for s in subs)
    if out is not None:
        eq += "->" + part(out)
    return eq, ops


def _parse_operands(lhs: str, num_ops: int) -> list:
    op_labels = [[] for _ in range(num_ops)]
    cur, ell, i = 0, False, 0
    while i < len(lhs):
        ch = lhs[i]
        if ch == " ":
            pass
        elif ch == ".":
            if ell:
                raise RuntimeError(
                    f"einsum(): found '.' for operand {cur} for which an ellipsis was already "
                    "found")
            if lhs[i + 1:i + 3] != "..":
                raise RuntimeError(
                    f"einsum(): found '.' for operand {cur} that is not part of any ellipsis")
            i += 2
            op_labels[cur].append(_ELLIPSIS)
            ell = True
        elif ch == ",":
            cur += 1
            if cur >= num_ops:
                raise RuntimeError(
                    "einsum(): fewer operands were provided than specified in the equation")
            ell = False
        elif ch.isascii() and ch.isalpha():
            op_labels[cur].append(_subscript(ch))
        else:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, "
                "subscripts must be in [a-zA-Z]")
        i += 1
    if cur != num_ops - 1:
        raise RuntimeError(
            "einsum(): more operands were provided than specified in the equation")
    return op_labels


def einsum(*args):
    """Sum of products over the labels of ``equation`` (``torch.einsum``).

    Args:
        equation: subscripts such as ``"bij,bjk->bik"``; ``...`` stands for broadcast dims; with
            no ``->`` the output is the ellipsis dims then the labels seen once, sorted.
        *operands: the tensors (or one list of them); torch's sublist format
            ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` is accepted too.

    Example:
        >>> a, b = nnlite.randn(2, 3), nnlite.randn(3, 4)
        >>> nnlite.einsum("ij,jk->ik", a, b).shape
        torch.Size([2, 4])
    """
    if len(args) < 2:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, or at least "
            "one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for o in operands:
        if not isinstance(o, Tensor):
            raise TypeError(
                f"einsum(): argument 'operands' must be tuple of Tensors, not "
                f"{type(o).__name__}")
    return _einsum(equation, operands)


def _einsum(equation: str, operands: list):
    num_ops = len(operands)
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _parse_operands(lhs, num_ops)

    label_count = [0] * 52
    ell_num_dim = 0
    for i, (op, labels) in enumerate(zip(operands, op_labels)):
        ndim = op._data.ndim
        nlabels = len(labels)
        has_ell = _ELLIPSIS in labels
        if has_ell:
            nlabels -= 1
            ell_num_dim = max(ell_num_dim, ndim - nlabels)
        for s in labels:
            if s != _ELLIPSIS:
                label_count[s] += 1
        if (nlabels > ndim) if has_ell else (nlabels != ndim):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nlabels}) does not match "
                f"the number of dimensions ({ndim}) for operand {i}"
                + ("" if has_ell else " and no ellipsis was given"))

    # each label's place in the common order: output dims, then the dims summed out
    perm_of = [-1] * 52
    perm_index = ell_index = 0
    ell_in_output = False
    if arrow < 0:  # implicit output: the ellipsis dims, then the labels seen once
        perm_index = ell_num_dim
        ell_in_output = True
        for s in range(52):
            if label_count[s] == 1:
                perm_of[s] = perm_index
                perm_index += 1
    else:
        rhs = equation[arrow + 2:]
        i = 0
        while i < len(rhs):
            ch = rhs[i]
            if ch == " ":
                pass
            elif ch == ".":
                if ell_in_output:
                    raise RuntimeError(
                        "einsum(): found '.' for output but an ellipsis (...) was already found")
                if rhs[i + 1:i + 3] != "..":
                    raise RuntimeError(
                        "einsum(): found '.' for output that is not part of any ellipsis (...)")
                i += 2
                ell_index = perm_index
                perm_index += ell_num_dim
                ell_in_output = True
            elif ch.isascii() and ch.isalpha():
                s = _subscript(ch)
                if label_count[s] == 0 or perm_of[s] != -1:
                    why = ("appears more than once in the output" if perm_of[s] != -1 else
                           "does not appear in the equation for any input operand")
                    raise RuntimeError(f"einsum(): output subscript {ch} {why}")
                perm_of[s] = perm_index
                perm_index += 1
            else:
                raise RuntimeError(
                    f"einsum(): invalid subscript given at index {len(lhs) + 2 + i} in the "
                    "equation string, subscripts must be in [a-zA-Z]")
            i += 1
    out_num_dim = perm_index
    if not ell_in_output:
        ell_index = perm_index
        perm_index += ell_num_dim
    for s in range(52):
        if label_count[s] > 0 and perm_of[s] == -1:
            perm_of[s] = perm_index
            perm_index += 1

    # diagonals for repeated labels, unsqueezes for missing ones, one permute per operand;
    # dim_counts[d] = how many operands have a size != 1 at common dim d
    label_size = [1] * 52
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * perm_index
    ops = []
    for i, (op, labels) in enumerate(zip(operands, op_labels)):
        orig = op
        perm = [-1] * perm_index
        dim = 0
        for s in labels:
            if s == _ELLIPSIS:
                nd = orig._data.ndim - (len(labels) - 1)
                for j in range(ell_num_dim - nd, ell_num_dim):
                    n = op._data.shape[dim]
                    if n != 1:
                        if ell_sizes[j] != 1 and ell_sizes[j] != n:
                            raise RuntimeError(_broadcast_message(operands, op_labels))
                        ell_sizes[j] = n
                        dim_counts[ell_index + j] += 1
                    perm[ell_index + j] = dim
                    dim += 1
            elif perm[perm_of[s]] == -1:
                n = op._data.shape[dim]
                if n != 1:
                    if label_size[s] != 1 and label_size[s] != n:
                        raise RuntimeError(_broadcast_message(operands, op_labels))
                    label_size[s] = n
                    dim_counts[perm_of[s]] += 1
                perm[perm_of[s]] = dim
                dim += 1
            else:  # a repeated label: its diagonal, moved to where the label first was
                prev = perm[perm_of[s]]
                a, b = op._data.shape[dim], op._data.shape[prev]
                if a != b:
                    raise RuntimeError(
                        f"einsum(): subscript {_letter(s)} is repeated for operand {i} but the "
                        f"sizes don't match, {a} != {b}")
                op = S.movedim(S.diagonal(op, 0, prev, dim), -1, prev)
        for k in range(perm_index):
            if perm[k] == -1:
                op = S.unsqueeze(op, dim)
                perm[k] = dim
                dim += 1
        ops.append(S.permute(op, perm))

    # contract left to right (torch without opt_einsum: the result goes to the front)
    while len(ops) > 1:
        a, b = ops[0], ops[1]
        del ops[:2]
        sum_dims, a_sum, b_sum = [], [], []
        sa, sb = a._data.shape, b._data.shape
        for d in range(out_num_dim, perm_index):
            if sa[d] != 1 and sb[d] != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if sa[d] != 1:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif sb[d] != 1:
                    b_sum.append(d)
                    dim_counts[d] = 0
        if a_sum:
            a = R.sum(a, a_sum, True)
        if b_sum:
            b = R.sum(b, b_sum, True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))

    result = ops[0]
    if perm_index - out_num_dim > 0:
        if num_ops > 1:  # the contracted dims are all size 1 now
            return S.view(result, result._data.shape[:out_num_dim])
        return R.sum(result, list(range(out_num_dim, perm_index)))
    return result


def _broadcast_message(operands, op_labels) -> str:
    shapes = ", ".join(str(list(o._data.shape)) for o in operands)
    return ("einsum(): operands do not broadcast with remapped shapes (original->remapped): "
            + shapes)


def _sumproduct_pair(left, right, sum_dims: list):
    """``sum(left * right, sum_dims, keepdim=True)`` of two aligned operands, as one bmm."""
    if not sum_dims:
        return E.mul(left, right)
    ndim = left._data.ndim
    summed = set(sum_dims)
    lro, lo, ro = [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(ndim):
        sl, sr = left._data.shape[i] != 1, right._data.shape[i] != 1
        if i in summed:
            if sl and sr:
                if left._data.shape[i] != right._data.shape[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= left._data.shape[i]
            elif sl:
                left = R.sum(left, i, True)
            elif sr:
                right = R.sum(right, i, True)
        elif sl and sr:
            if left._data.shape[i] != right._data.shape[i]:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
            lro_size *= left._data.shape[i]
        elif sl:
            lo.append(i)
            lo_size *= left._data.shape[i]
        else:
            ro.append(i)
            ro_size *= right._data.shape[i]
    out_size = ([left._data.shape[d] for d in lro] + [left._data.shape[d] for d in lo]
                + [1] * len(sum_dims) + [right._data.shape[d] for d in ro])
    lperm = lro + lo + sum_dims + ro
    rperm = lro + sum_dims + ro + lo
    operm = [0] * len(lperm)
    for k, d in enumerate(lro + lo + sum_dims + ro):
        operm[d] = k
    left = S.reshape(S.permute(left, lperm), (lro_size, lo_size, sum_size))
    right = S.reshape(S.permute(right, rperm), (lro_size, sum_size, ro_size))
    result = bmm(left, right)
    return S.permute(S.view(result, out_size), operm)

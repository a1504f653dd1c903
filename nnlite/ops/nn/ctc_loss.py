"""``F.ctc_loss``: the connectionist temporal classification loss (Graves et al., 2006).

For each sequence ``b`` the target ``l`` (length S) is extended with blanks to
``l' = (blank, l_1, blank, ..., l_S, blank)`` (length 2S + 1) and the loss is
``-log sum_{paths} prod_t p_t(path_t)`` over the alignments that collapse to ``l``, computed in
log space by the forward (alpha) recursion

    alpha_t(s) = lp_t(l'_s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2))

(the ``s - 2`` term only where ``l'_s`` is not blank and differs from ``l'_{s-2}``), and
``loss = -logsumexp(alpha_{T-1}(2S), alpha_{T-1}(2S - 1))``. The backward (beta) recursion
runs the same way from the end. Both include the emission at t, so the occupation of symbol c
at t is ``lcab_t(c) = logsumexp_{s: l'_s = c} (alpha_t(s) + beta_t(s))``.

Gradient, as PyTorch's CPU kernel defines it (``CtcLossBackward0``):
``d loss / d lp_t(c) = exp(lp_t(c)) - exp(lcab_t(c) + loss - lp_t(c))`` for ``t < T_b``, zero
after. This is the gradient through a log_softmax that produced ``lp`` (its ``exp(lp)`` term
cancels there), not the plain partial derivative; feed ``log_probs = x.log_softmax(2)``, as
torch's documentation asks. Without create_graph the recursions run vectorised over the batch
in numpy; with it the same recursions run in Tensor ops (impossible states at -1e30 instead of
-inf so no NaN enters the graph), so the gradient is itself differentiable.

``reduction='mean'`` divides each loss by its target length (at least 1) and averages over
the batch, ``zero_infinity`` replaces infinite losses (and their gradients) by zero, both as
torch's composite does it (``DivBackward0``/``MeanBackward0``, ``WhereBackward0``).
"""

from __future__ import annotations

import numpy as np

from nnlite._tensor import Tensor
from nnlite.autograd.function import Node, record
from nnlite.autograd.grad_mode import _GradState
from nnlite.ops import elementwise as _E
from nnlite.ops import reduce as _R
from nnlite.ops import shape as _S

_W = Tensor._wrap
_NEG = -1e30  # "log 0" of the differentiable path: finite, so exp(.) is 0 and grads stay finite

__all__ = ["ctc_loss"]


# ---- numpy recursions (vectorised over the batch) -----------------------------------------------


class _Problem:
    """Extended labels and masks of one batch: ``ext`` (N, S') labels with blanks, ``allow2``
    (N, S') where the skip ``s - 2 -> s`` is allowed, ``valid`` (N, S') the positions inside
    each sequence's ``2 S_b + 1``, ``T`` and ``L`` (N,) the input and extended lengths."""

    def __init__(self, targets: list, input_lengths: np.ndarray, blank: int):
        n = len(targets)
        smax = max((len(t) for t in targets), default=0)
        sp = 2 * smax + 1
        self.ext = np.full((n, sp), blank, np.int64)
        self.L = np.array([2 * len(t) + 1 for t in targets], np.int64)
        for b, t in enumerate(targets):
            self.ext[b, 1:2 * len(t):2] = t
        s = np.arange(sp)
        self.valid = s[None, :] < self.L[:, None]
        prev2 = np.concatenate([np.full((n, 2), -1, np.int64), self.ext[:, :-2]], 1)
        self.allow2 = (self.ext != blank) & (s[None, :] >= 2) & (self.ext != prev2)
        self.T = input_lengths.astype(np.int64)


def _shift(a: np.ndarray, k: int, fill) -> np.ndarray:
    """``a[..., s - k]`` along the last axis (``fill`` where s < k); k < 0 shifts the other way."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _alpha_beta(lp: np.ndarray, pr: _Problem):
    """lp (T, N, C) -> alpha, beta (T, N, S') and the loss (N,)."""
    tmax, n = lp.shape[:2]
    em = np.take_along_axis(lp, np.broadcast_to(pr.ext[None], (tmax,) + pr.ext.shape), 2)
    alpha = np.full(em.shape, -np.inf, lp.dtype)
    beta = np.full(em.shape, -np.inf, lp.dtype)
    ninf = lp.dtype.type(-np.inf)
    with np.errstate(invalid="ignore"):
        alpha[0, :, :2] = em[0, :, :2]
        alpha[0][~pr.valid] = -np.inf
        for t in range(1, tmax):
            a = alpha[t - 1]
            a2 = np.where(pr.allow2, _shift(a, 2, ninf), ninf)
            alpha[t] = np.logaddexp(np.logaddexp(a, _shift(a, 1, ninf)), a2) + em[t]
            alpha[t][~pr.valid] = -np.inf
        rows = np.arange(n)
        last, prev = pr.L - 1, np.maximum(pr.L - 2, 0)
        for t in range(tmax - 1, -1, -1):
            b1 = beta[t + 1] if t + 1 < tmax else np.full((n, em.shape[2]), ninf)
            allow_next = _shift(pr.allow2, -2, False)
            b2 = np.where(allow_next, _shift(b1, -2, ninf), ninf)
            rec = np.logaddexp(np.logaddexp(b1, _shift(b1, -1, ninf)), b2) + em[t]
            rec[~pr.valid] = -np.inf
            rec[t >= pr.T] = -np.inf
            start = t == pr.T - 1
            init = np.full((n, em.shape[2]), ninf)
            init[rows, last] = em[t, rows, last]
            init[rows, prev] = np.where(pr.L > 1, em[t, rows, prev], init[rows, prev])
            beta[t] = np.where(start[:, None], init, rec)
        tl = np.maximum(pr.T - 1, 0)
        end = alpha[tl, rows, last]
        end2 = np.where(pr.L > 1, alpha[tl, rows, prev], ninf)
        loss = -np.logaddexp(end, end2)
    return alpha, beta, loss


def _occupation(ab: np.ndarray, pr: _Problem, c: int) -> np.ndarray:
    """``lcab[t, b, c] = logsumexp_{s: l'_s = c} ab[t, b, s]`` -> (T, N, C)."""
    tmax, n, sp = ab.shape
    lcab = np.full((tmax, n, c), -np.inf, ab.dtype)
    rows = np.arange(n)
    for s in range(sp):
        idx = pr.ext[:, s]
        lcab[:, rows, idx] = np.logaddexp(lcab[:, rows, idx], ab[:, :, s])
    return lcab


def _grad_np(lp, alpha, beta, loss, pr: _Problem, g, zero_infinity):
    with np.errstate(invalid="ignore", over="ignore"):
        lcab = _occupation(alpha + beta, pr, lp.shape[2])
        grad = np.exp(lp) - np.exp(lcab + loss[None, :, None] - lp)
    grad *= g[None, :, None]
    t = np.arange(lp.shape[0])[:, None]
    keep = t < pr.T[None, :]
    if zero_infinity:
        keep = keep & ~np.isinf(loss)[None, :]
    return np.where(keep[:, :, None], grad, 0).astype(lp.dtype, copy=False)


# ---- the same recursions in Tensor ops (the differentiable gradient) ---------------------------


def _t_shift(a: Tensor, k: int) -> Tensor:
    pad = _W(np.full(a.shape[:-1] + (abs(k),), _NEG, a._data.dtype))
    if k > 0:
        return _S.cat([pad, a[..., :-k]], -1)
    return _S.cat([a[..., -k:], pad], -1)


def _t_lse(parts) -> Tensor:
    return _R.logsumexp(_S.stack(parts), 0)


def _t_mask(a: Tensor, mask: np.ndarray) -> Tensor:
    return _E.where(_W(mask), a, _W(np.array(_NEG, a._data.dtype)))


def _grad_tensor(lp: Tensor, pr: _Problem, g: Tensor, loss_np, zero_infinity) -> Tensor:
    tmax, n, c = lp.shape
    dt = lp._data.dtype
    em = lp.gather(2, _W(np.ascontiguousarray(
        np.broadcast_to(pr.ext[None], (tmax,) + pr.ext.shape))))
    rows = np.arange(n)
    first = np.zeros(pr.ext.shape, bool)
    first[:, 0] = True
    first[:, 1] = pr.L > 1
    alphas = [_t_mask(em[0], first & pr.valid)]
    for t in range(1, tmax):
        a = alphas[-1]
        a2 = _t_mask(_t_shift(a, 2), pr.allow2)
        alphas.append(_t_mask(_t_lse([a, _t_shift(a, 1), a2]) + em[t], pr.valid))
    last, prev = pr.L - 1, np.maximum(pr.L - 2, 0)
    ends = np.zeros(pr.ext.shape, bool)
    ends[rows, last] = True
    ends[rows, prev] |= pr.L > 1
    betas = [None] * tmax
    allow_next = _shift(pr.allow2, -2, False)
    for t in range(tmax - 1, -1, -1):
        init = _t_mask(em[t], ends & pr.valid)
        if t + 1 < tmax:
            b1 = betas[t + 1]
            b2 = _t_mask(_t_shift(b1, -2), allow_next)
            rec = _t_mask(_t_lse([b1, _t_shift(b1, -1), b2]) + em[t],
                          pr.valid & (t < pr.T - 1)[:, None])
            betas[t] = _E.where(_W(np.broadcast_to((t == pr.T - 1)[:, None], pr.ext.shape)),
                                init, rec)
        else:
            betas[t] = _t_mask(init, np.broadcast_to((t == pr.T - 1)[:, None], pr.ext.shape))
    alpha, beta = _S.stack(alphas), _S.stack(betas)
    tl = np.maximum(pr.T - 1, 0)
    a_end = alpha[_W(tl), _W(rows), _W(last)]
    a_prev = _t_mask(alpha[_W(tl), _W(rows), _W(prev)], pr.L > 1)
    loss = -_t_lse([a_end, a_prev])
    onehot = pr.ext[:, :, None] == np.arange(c)[None, None, :]  # (N, S', C)
    logmask = _W(np.where(onehot, 0.0, _NEG).astype(dt))
    lcab = _R.logsumexp((alpha + beta).unsqueeze(-1) + logmask, 2)  # (T, N, C)
    grad = _E.exp(lp) - _E.exp(lcab + loss.reshape(1, n, 1) - lp)
    keep = np.arange(tmax)[:, None] < pr.T[None, :]
    if zero_infinity:
        keep = keep & ~np.isinf(loss_np)[None, :]
    return grad * g.reshape(1, n, 1) * _W(keep[:, :, None].astype(dt))


class CtcLossBackward0(Node):
    def backward(self, g):
        (lp,) = self._unpacked_saved
        if not _GradState.enabled:
            return (_W(_grad_np(lp._data, self.alpha, self.beta, self.loss, self.problem,
                                g._data, self.zero_infinity)),)
        return (_grad_tensor(lp, self.problem, g, self.loss, self.zero_infinity),)


# ---- argument handling (PyTorch's checks and messages) -----------------------------------------


def _lengths(v, name: str) -> np.ndarray:
    if isinstance(v, Tensor):
        return np.asarray(v._data, np.int64).reshape(-1)
    if isinstance(v, (int, np.integer)):
        return np.array([int(v)], np.int64)
    return np.asarray(list(v), np.int64).reshape(-1)


def _split_targets(targets: np.ndarray, target_lengths: np.ndarray, n: int) -> list:
    if targets.ndim == 1:
        if int(target_lengths.sum()) > targets.shape[0]:
            raise RuntimeError(f"Expected tensor to have size at least "
                               f"{int(target_lengths.sum())} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets' (while checking "
                               "arguments for ctc_loss_allocate_outputs)")
        offs = np.concatenate([[0], np.cumsum(target_lengths)])
        return [targets[offs[b]:offs[b + 1]] for b in range(n)]
    mx = int(target_lengths.max(initial=0))
    if targets.shape[1] < mx:
        raise RuntimeError(f"Expected tensor to have size at least {mx} at dimension 1, but "
                           f"got size {targets.shape[1]} for argument #2 'targets' (while "
                           "checking arguments for ctc_loss_allocate_outputs)")
    return [targets[b, :target_lengths[b]] for b in range(n)]


def _ctc(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int,
         zero_infinity: bool) -> Tensor:
    """The per-sequence losses (N,) of batched (T, N, C) log-probabilities."""
    lp = log_probs._data
    tmax, n, c = lp.shape
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    if il.shape[0] != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.shape[0] != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if il.size and il.max() > tmax:
        raise RuntimeError(f"Expected input_lengths to have value at most {tmax}, but got value "
                           f"{int(il.max())} (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    if (il < 0).any() or (tl < 0).any():
        raise RuntimeError("ctc_loss: input and target lengths must be non-negative")
    pr = _Problem(_split_targets(np.asarray(targets._data, np.int64), tl, n), il, blank)
    alpha, beta, loss = _alpha_beta(lp, pr)
    out = _W(loss.astype(lp.dtype, copy=False))
    node = record(out, CtcLossBackward0, (log_probs,))
    if node is not None:
        node.save_for_backward(log_probs)
        node.problem, node.zero_infinity = pr, zero_infinity
        node.save(alpha=alpha, beta=beta, loss=loss)
    return out


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss of (T, N, C) (or unbatched (T, C)) log-probabilities against targets
    (N, S) padded, or concatenated 1-D (sum of ``target_lengths``).

    Args:
        log_probs: ``log_softmax`` outputs over C classes (``blank`` among them).
        targets: class indices (never ``blank``).
        input_lengths: (N,) lengths of each input (<= T), a tensor or a sequence of ints.
        target_lengths: (N,) lengths of each target.
        blank: the blank class index.
        reduction: 'mean' (each loss over its target length, then the batch mean), 'sum',
            'none'.
        zero_infinity: replace infinite losses (impossible alignments) and their gradients
            by zero.

    Example:
        >>> lp = torch.randn(6, 2, 4).log_softmax(2)
        >>> F.ctc_loss(lp, torch.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2]).shape
        torch.Size([])
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    batched = log_probs.dim() == 3
    if not batched:
        if log_probs.dim() != 2:
            raise RuntimeError(f"ctc_loss: expected log_probs to be 2-D (unbatched) or 3-D, "
                               f"but got {log_probs.dim()}-D")
        if not isinstance(input_lengths, Tensor) or not isinstance(target_lengths, Tensor):
            raise TypeError("ctc_loss(): unbatched input needs input_lengths and "
                            "target_lengths as tensors (as torch's)")
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0)
    res = _ctc(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity)
    if zero_infinity:
        res = _E.where(res == float("inf"), _W(np.zeros((), res._data.dtype)), res)
    if reduction == "mean":
        tl = np.maximum(_lengths(target_lengths, "target_lengths"), 1).astype(res._data.dtype)
        return (res / _W(tl)).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)

"""How each capturable op becomes plan code: the same array kernels, in the same order, as eager.

One entry per op kind (``LOWERINGS``). Each entry

* ``check``s that the recorded call is one it can replay (2-D inputs, one float dtype, ...);
* emits the forward lines (``forward``) and the backward lines (``backward``) of the generated
  plan functions (see :mod:`nnlite.compile.codegen`), calling exactly what the op's eager
  forward and its graph node's no-grad backward call (``nnlite.ops.nn``), so a replay is
  bit-identical to eager: intermediate results go to preallocated buffers through ``out=`` or
  the kernels' output arguments, and the arrays handed back to the caller (results, gradients
  of inputs and parameters) are fresh, as eager's are;
* names the tensors eager saves for backward (``saved``: their versions are checked, so an
  in-place change between forward and backward raises as in eager);
* re-runs itself as eager Tensor ops (``eager``) for ``create_graph=True``, which a static
  plan cannot give: the compiled node then differentiates that graph instead.

When the op registry of ``nnlite.ops`` carries array-level forward/backward functions per op,
these entries become thin adapters over it.
"""

from __future__ import annotations

import numpy as np

from nnlite import _batch_shard, _blas
from nnlite import _random as R
from nnlite._tensor import Tensor
from nnlite.compile.recorder import VALUE, CaptureFailed
from nnlite.kernels import load as load_kernels
from nnlite.ops import linalg as _linalg
from nnlite.ops import reduce as _reduce
from nnlite.ops.nn import activations as _activations
from nnlite.ops.nn import linear as _linear_ops
from nnlite.ops.nn import losses as _losses
from nnlite.ops.nn import norms as _norms
from nnlite.ops.shape import reshape

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


_kernels = load_kernels


class Lowering:
    """Base entry: no differentiable inputs, mutates nothing."""

    differentiable: tuple = ()  # input positions that can receive a gradient
    products = False  # calls nnlite._blas.matmul (forward or backward)

    def mutates(self, op) -> tuple:
        return ()

    def check(self, slots, op) -> None:
        pass

    def saved(self, op, rg) -> tuple:
        return ()

    def forward(self, em, op) -> None:
        raise NotImplementedError

    def backward(self, em, op) -> None:
        pass

    def eager(self, op, vals, notes):
        """``op`` as eager Tensor ops on ``vals`` (Tensors per input slot); ``notes``: the
        per-call arrays this op noted in the forward (e.g. dropout's mask), by key."""
        raise NotImplementedError


def _same_float(slots, idxs, what):
    dts = {slots[i].dtype for i in idxs if i is not None}
    if len(dts) != 1 or next(iter(dts)) not in _FLOATS:
        raise CaptureFailed(f"{what} with mixed or non-float32/64 dtypes")


def _two_d(slots, i, what):
    s = slots[i]
    if len(s.shape) != 2 or s.shape[0] == 0:
        raise CaptureFailed(f"{what} on a {len(s.shape)}-D or empty input")


# ---- linear -------------------------------------------------------------------------------


class Linear(Lowering):
    """``y = x @ W.T`` (``nnlite._blas.matmul``, as eager) then the in-place bias kernel;
    backward ``gx = g @ W``, ``gW = g.T @ x``, ``gb = ones @ g`` as
    ``ops.linalg._LinearRowsBackward``."""

    differentiable = (0, 1, 2)
    products = True

    def check(self, slots, op):
        x, w, b = op.inputs
        _two_d(slots, x, "linear")
        _same_float(slots, op.inputs, "linear")
        for i in (w, b):
            if i is not None and slots[i].kind == VALUE:
                raise CaptureFailed("linear with a computed weight or bias")

    def saved(self, op, rg):
        x, w, _ = op.inputs
        return tuple(i for i, need in ((x, rg[w]), (w, rg[x])) if need)

    def forward(self, em, op):
        x, w, b = (em.v(i) if i is not None else None for i in op.inputs)
        y, fixed = em.out(op)
        mm = em.const(_blas.matmul, "matmul")
        if fixed:
            em.f(f"{mm}({x}, {w}.T, {y})")
        else:
            em.f(f"{y} = {mm}({x}, {w}.T)")
        if b is not None:
            k = em.const(_kernels("elementwise")._bias_add_kernel, "bias_add")
            em.f(f"{k}({y}, {b})")

    def backward(self, em, op):
        xi, wi, bi = op.inputs
        g = em.g(op.out)
        if em.rg(xi):
            buf = em.grad_out(xi)
            mm = em.const(_blas.matmul, "matmul")
            if buf is not None:
                em.b(f"{mm}({g}, {em.v(wi)}, {buf})")
                em.set_grad(xi, buf)
            else:
                em.add_grad(xi, f"{mm}({g}, {em.v(wi)})")
        if em.rg(wi):
            if em.sole(wi):
                # into the fused optimizer's gradient slot when it may be (the same BLAS call
                # either way); the slots are looked up once per backward (Emitter.slot)
                mm = em.const(_blas.matmul, "matmul")
                sl = em.slot(wi)
                em.add_grad(wi, f"{mm}({g}.T, {em.v(xi)}) if {sl} is None else "
                                f"{mm}({g}.T, {em.v(xi)}, {sl})")
            else:
                wg = em.const(_ops_attr("_weight_grad"), "weight_grad")
                em.add_grad(wi, f"{wg}({g}, {em.v(xi)})")
        if bi is not None and em.rg(bi):
            # _col_sum's kernel (the bias gradient, added in torch's order as eager adds it)
            cs = em.const(_reduce.col_sum, "col_sum")
            if em.sole(bi):
                em.add_grad(bi, f"{cs}({g}, {em.slot(bi)})")
            else:
                em.add_grad(bi, f"{cs}({g})")

    def eager(self, op, vals, notes):
        x, w, b = vals
        return _linear_ops.linear(x, w, b)


def _ops_attr(name):
    return getattr(_linalg, name)


# ---- relu ---------------------------------------------------------------------------------


class Relu(Lowering):
    """``y = max(x, 0)`` and ``gx = g * (y > 0)`` with the elementwise kernels."""

    differentiable = (0,)

    def check(self, slots, op):
        s = slots[op.inputs[0]]
        if s.dtype not in _FLOATS or not np.prod(s.shape):
            raise CaptureFailed("relu on a non-float or empty tensor")

    def saved(self, op, rg):
        return (op.out,)

    def forward(self, em, op):
        x = em.v(op.inputs[0])
        k = em.const(_kernels("elementwise")._relu_fwd_kernel, "relu_fwd")
        y, fixed = em.out(op)
        if not fixed:
            em.f(f"{y} = np.empty_like({x})")
        em.f(f"{k}({em.flat(op.inputs[0])}, {em.flat(op.out)})")

    def backward(self, em, op):
        xi = op.inputs[0]
        if not em.rg(xi):
            return
        k = em.const(_kernels("elementwise")._relu_bwd_kernel, "relu_bwd")
        g = em.g(op.out)
        buf = em.grad_out(xi)
        if buf is not None:
            em.b(f"{k}({g}.reshape(-1), {em.flat(op.out)}, {buf}.reshape(-1))")
            em.set_grad(xi, buf)
        else:
            t = em.tmp("relu_g")
            em.b(f"{t} = np.empty({g}.shape, {g}.dtype)")
            em.b(f"{k}({g}.reshape(-1), {em.flat(op.out)}, {t}.reshape(-1))")
            em.add_grad(xi, t)

    def eager(self, op, vals, notes):
        return _activations.relu(vals[0])


# ---- the other activations (one generic entry for nnlite.ops.nn.activations._pointwise) ---------------


def pointwise_forward(fwd, x, kw):
    """``_pointwise``'s eager forward on an array."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(fwd(x, **kw), dtype=x.dtype)


class Pointwise(Lowering):
    """``y = f(x)`` with the op's own array forward and array backward ``bwd(g, x, y, **kw)``
    (``save`` says which of x, y the backward reads), as ``_pointwise`` ops run eagerly."""

    differentiable = (0,)

    def check(self, slots, op):
        if slots[op.inputs[0]].dtype not in _FLOATS:
            raise CaptureFailed("an activation on a non-float tensor")

    def saved(self, op, rg):
        save = op.attrs["save"]
        return tuple(i for k, i in (("x", op.inputs[0]), ("y", op.out)) if k in save)

    def forward(self, em, op):
        a = op.attrs
        pf = em.const(pointwise_forward, "pointwise")
        f = em.const(a["fwd"], "act_fwd")
        kw = em.const(a["kw"], "act_kw")
        em.f(f"{em.v(op.out)} = {pf}({f}, {em.v(op.inputs[0])}, {kw})")

    def backward(self, em, op):
        xi = op.inputs[0]
        if not em.rg(xi):
            return
        a = op.attrs
        save = a["save"]
        bw = em.const(a["bwd"], "act_bwd")
        kw = em.const(a["kw"], "act_kw")
        x = em.v(xi) if "x" in save else "None"
        y = em.v(op.out) if "y" in save else "None"
        em.add_grad(xi, f"{bw}({em.g(op.out)}, {x}, {y}, **{kw})")

    def eager(self, op, vals, notes):
        return op.attrs["op"](vals[0], **op.attrs["kw"])


# ---- reshape / view -----------------------------------------------------------------------


class Reshape(Lowering):
    """A view with another shape; the gradient is reshaped back (``ViewBackward0``)."""

    differentiable = (0,)

    def forward(self, em, op):
        shape = em.slots[op.out].shape
        em.f(f"{em.v(op.out)} = {em.v(op.inputs[0])}.reshape({shape!r})")
        em.note(op, shape=shape)

    def backward(self, em, op):
        xi = op.inputs[0]
        if em.rg(xi):
            em.add_grad(xi, f"{em.g(op.out)}.reshape({em.slots[xi].shape!r})")

    def eager(self, op, vals, notes):
        return reshape(vals[0], notes["shape"])


# ---- dropout ------------------------------------------------------------------------------


def dropout_mask(shape, dtype, p):
    """The mask eager ``dropout`` draws (same generator calls, same arithmetic; a
    data-parallel rank's rows of the global batch's mask, see ``nnlite._batch_shard``)."""
    if p == 1.0:
        return np.zeros(shape, dtype)
    keep = _batch_shard.per_sample(shape, lambda s: R.bernoulli_scalar(R._gen(), s, 1.0 - p))
    return keep.astype(dtype) / dtype.type(1.0 - p)


class Dropout(Lowering):
    """``y = x * mask`` with a fresh mask per call from the global generator; ``gx = g * mask``."""

    differentiable = (0,)

    def check(self, slots, op):
        if slots[op.inputs[0]].dtype not in _FLOATS:
            raise CaptureFailed("dropout on a non-float tensor")

    def forward(self, em, op):
        x = em.v(op.inputs[0])
        s = em.slots[op.inputs[0]]
        mk = em.const(dropout_mask, "dropout_mask")
        dt = em.const(s.dtype, "dtype")
        m = em.tmp("mask")
        em.f(f"{m} = {mk}({s.shape!r}, {dt}, {float(op.attrs['p'])!r})")
        y, fixed = em.out(op)
        if fixed:
            em.f(f"np.multiply({x}, {m}, out={y})")
        else:
            em.f(f"{y} = {x} * {m}")
        em.note(op, mask=m)

    def backward(self, em, op):
        xi = op.inputs[0]
        if em.rg(xi):
            em.add_grad(xi, f"{em.g(op.out)} * {em.noted(op, 'mask')}")

    def eager(self, op, vals, notes):
        return vals[0] * Tensor._wrap(notes["mask"])


# ---- batch norm ---------------------------------------------------------------------------


class BatchNorm(Lowering):
    """Training: ``_bn_train_kernel`` (batch statistics, running-stat update in place) and
    ``_bn_backward_kernel``; eval: ``batchnorm_forward_eval`` and the affine backward of
    ``NativeBatchNormEvalBackward0``. Inputs: ``(x, running_mean, running_var, weight, bias)``."""

    differentiable = (0, 3, 4)

    def mutates(self, op):
        return (1, 2) if op.attrs["training"] else ()

    def check(self, slots, op):
        x, rm, rv, w, b = op.inputs
        _two_d(slots, x, "batch_norm")
        if slots[x].shape[0] < 2 and op.attrs["training"]:
            raise CaptureFailed("batch_norm on one row")
        _same_float(slots, (x, w, b), "batch_norm")
        for i in (rm, rv, w, b):
            if i is not None and slots[i].kind == VALUE:
                raise CaptureFailed("batch_norm with computed statistics or affine parameters")
        if op.attrs["training"]:
            if (rm is None) != (rv is None):
                raise CaptureFailed("batch_norm with only one running statistic")
            if rm is not None:
                a, c = slots[rm], slots[rv]
                if a.dtype != c.dtype or a.dtype not in _FLOATS:
                    raise CaptureFailed("batch_norm with running statistics of another dtype")
        elif rm is None or rv is None:
            raise CaptureFailed("batch_norm in eval mode without running statistics")

    def saved(self, op, rg):
        x, _, _, w, _ = op.inputs
        return (x,) if w is None else (x, w)

    def forward(self, em, op):
        x, rm, rv, w, b = op.inputs
        s = em.slots[x]
        c = s.shape[1]
        dt = s.dtype
        eps = float(op.attrs["eps"])
        empty = em.const(np.empty(0, dt), "empty")
        wn = em.v(w) if w is not None else empty
        bn = em.v(b) if b is not None else empty
        if op.attrs["training"]:
            k = em.const(_kernels("norm")._bn_train_kernel, "bn_train")
            mean = em.buf((c,), dt, "mean")
            inv = em.buf((c,), dt, "invstd")
            var = em.buf((c,), dt, "var_unbiased")
            if rm is not None:
                rmn, rvn = em.v(rm), em.v(rv)
            else:
                rmn = rvn = em.const(np.empty(0, np.float64), "empty64")
            y, fixed = em.out(op)
            if not fixed:
                em.f(f"{y} = np.empty({s.shape!r}, {em.const(dt, 'dtype')})")
            em.f(f"{k}({em.v(x)}, {wn}, {bn}, {eps!r}, {y}, {mean}, {inv}, {var}, {rmn}, {rvn}, "
                 f"{float(op.attrs['momentum'])!r})")
            for i in (rm, rv):
                if i is not None:  # eager bumps the running stats' versions
                    em.f(f"{em.vc(i)}[0] += 1")
            em.note(op, mean=mean, invstd=inv)
        else:
            k = em.const(_kernels("norm").batchnorm_forward_eval, "bn_eval")
            y, _ = em.out(op, fixed_ok=False)
            em.f(f"{y} = {k}({em.v(x)}, {em.v(rm)}, {em.v(rv)}, "
                 f"{em.v(w) if w is not None else None}, {em.v(b) if b is not None else None}, "
                 f"{eps!r})")
            if em.rg(op.out):
                # NativeBatchNormEvalBackward0 keeps these, computed at forward time
                rmc, invc = em.tmp("bn_rm"), em.tmp("bn_inv")
                d = em.const(dt, "dtype")
                em.f(f"{rmc} = {em.v(rm)}.astype({d}, copy=True)")
                em.f(f"{invc} = (1.0 / np.sqrt({em.v(rv)}.astype(np.float64) + {eps!r}))"
                     f".astype({d})")
                em.note(op, rm=rmc, invstd=invc)

    def backward(self, em, op):
        x, _, _, w, b = op.inputs
        g = em.g(op.out)
        s = em.slots[x]
        c = s.shape[1]
        dt = s.dtype
        want_x, want_w = em.rg(x), w is not None and em.rg(w)
        want_b = b is not None and em.rg(b)
        if not (want_x or want_w or want_b):
            return
        if op.attrs["training"]:
            k = em.const(_kernels("norm")._bn_backward_kernel, "bn_bwd")
            d = em.const(dt, "dtype")
            empty = em.const(np.empty(0, dt), "empty")
            gx = em.grad_out(x) if want_x else None
            if gx is None:
                gx = em.tmp("bn_gx")
                em.b(f"{gx} = np.empty({s.shape!r}, {d})")
            # fresh when they are handed out as parameter gradients; scratch otherwise
            gw = em.tmp("bn_gw") if want_w else em.buf((c,), dt, "bn_gw_scratch")
            gb = em.tmp("bn_gb") if want_b else em.buf((c,), dt, "bn_gb_scratch")
            # a fresh array for the kernel to fill, or the parameter's gradient slot
            for want, i, name in ((want_w, w, gw), (want_b, b, gb)):
                if want and em.sole(i):
                    sl = em.slot(i)
                    em.b(f"{name} = np.empty({c}, {d}) if {sl} is None else {sl}")
                elif want:
                    em.b(f"{name} = np.empty({c}, {d})")
            em.b(f"{k}({g}, {em.v(x)}, {em.noted(op, 'mean')}, {em.noted(op, 'invstd')}, "
                 f"{em.v(w) if w is not None else empty}, {gx}, {gw}, {gb})")
            if want_x:
                if em.grad_out(x) == gx:
                    em.set_grad(x, gx)
                else:
                    em.add_grad(x, gx)
        else:
            rmc, invc = em.noted(op, "rm"), em.noted(op, "invstd")
            bs = (1, c)
            if want_x:
                if w is None:
                    scale = f"{invc}.reshape({bs!r})"
                else:
                    scale = f"({invc}.reshape({bs!r}) * {em.v(w)}.reshape({bs!r}))"
                em.add_grad(x, f"({g} * {scale}).astype({g}.dtype, copy=False)")
            if want_w:
                em.add_grad(w, f"({g} * (({em.v(x)} - {rmc}.reshape({bs!r})) * "
                               f"{invc}.reshape({bs!r}))).sum(axis=(0,))")
            if want_b:
                em.add_grad(b, f"{g}.sum(axis=(0,))")
            return
        if want_w:
            em.add_grad(w, gw)
        if want_b:
            em.add_grad(b, gb)

    def eager(self, op, vals, notes):
        x, rm, rv, w, b = vals
        if op.attrs["training"]:
            # the batch statistics again, without moving the running ones a second time
            return _norms.batch_norm(x, None, None, w, b, True, 0.0, op.attrs["eps"])
        return _norms.batch_norm(x, rm, rv, w, b, False, 0.0, op.attrs["eps"])


class Count(Lowering):
    """BatchNorm's ``num_batches_tracked += 1`` (done by the module, recorded by it)."""

    def mutates(self, op):
        return (0,)

    def check(self, slots, op):
        if slots[op.inputs[0]].shape != ():
            raise CaptureFailed("a counter that is not a 0-d tensor")

    def forward(self, em, op):
        v = em.v(op.inputs[0])
        em.f(f"{v}[()] = int({v}) + 1")
        em.f(f"{em.vc(op.inputs[0])}[0] += 1")


# ---- cross entropy (class indices) --------------------------------------------------------


def ce_reduce(loss_rows, loss_sum, denom, dt, reduction, tshape):
    """``cross_entropy_indices``'s reduction of the per-row losses: ``(out, scale)``, ``scale``
    the factor its backward applies to the upstream gradient."""
    if reduction == "none":
        return loss_rows.astype(dt, copy=False).reshape(tshape), 1.0
    if reduction == "sum":
        return np.array(loss_sum, dt), 1.0
    if denom != 0:
        return np.array(loss_sum / denom, dt), 1.0 / np.float64(denom)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.float64(loss_sum) / np.float64(denom), dt)
    return out, np.nan


def ce_forward(sums, z, t, w, ignore_index, reduction, label_smoothing):
    """Eager ``cross_entropy_indices`` on 2-D arrays: ``(out, logp, target64, scale)``;
    ``sums``: the loss kernels' ``cross_entropy_forward_sums`` (bound once per plan)."""
    t1 = t.reshape(-1).astype(np.int64, copy=False)
    loss_rows, logp, loss_sum, denom = sums(z, t1, w, ignore_index, label_smoothing)
    out, scale = ce_reduce(loss_rows, loss_sum, denom, z.dtype, reduction, t.shape)
    return out, logp, t1, scale


def ce_finish(loss_rows, sums, t1, bad, dt, reduction, tshape):
    """The end of ``cross_entropy_forward_sums`` and the reduction, after its kernel ran on
    a plan's buffers (``bad``: the kernel's first out-of-range row, or -1): ``(out, scale)``."""
    if bad >= 0:
        raise IndexError(f"Target {t1[bad]} is out of bounds.")
    return ce_reduce(loss_rows, float(sums[0]), float(sums[1]), dt, reduction, tshape)


def ce_backward(kernel, g, logp, t1, w, ignore_index, reduction, label_smoothing, scale,
                z_dtype):
    """``NllLossBackward0``'s no-grad path on 2-D arrays; ``kernel``: the loss kernels'
    ``cross_entropy_backward`` (bound once per plan)."""
    m = logp.shape[0]
    if reduction == "none":
        grows = np.ascontiguousarray(g.reshape(-1))
    else:
        grows = np.empty(m, logp.dtype)
        grows.fill(g.reshape(()) * scale)
    wk = None if w is None else np.ascontiguousarray(w, dtype=logp.dtype)
    g2 = kernel(grows, logp, t1, wk, ignore_index, label_smoothing)
    return g2.astype(z_dtype, copy=False)


class CrossEntropy(Lowering):
    """Fused log-softmax + NLL with class indices (inputs ``(logits, target, weight)``)."""

    differentiable = (0,)

    def check(self, slots, op):
        z, t, w = op.inputs
        _two_d(slots, z, "cross_entropy")
        if slots[z].dtype not in _FLOATS:
            raise CaptureFailed("cross_entropy on non-float logits")
        if w is not None and slots[w].kind == VALUE:
            raise CaptureFailed("cross_entropy with computed class weights")
        if slots[t].requires_grad:
            raise CaptureFailed("cross_entropy with a target that requires grad")

    def saved(self, op, rg):
        return (op.inputs[0],)

    def _direct(self, em, op) -> bool:
        """The loss kernels can run on the plan's arrays as they are (one float dtype, no
        conversion): then the plan calls them directly, into preallocated buffers, instead of
        the eager wrappers that check and normalise their arguments on every call."""
        z, t, w = op.inputs
        s = em.slots
        return (s[z].plain and s[t].plain and s[t].dtype == np.int64
                and (w is None or (s[w].plain and s[w].dtype == s[z].dtype)))

    def forward(self, em, op):
        z, t, w = op.inputs
        a = op.attrs
        y, _ = em.out(op, fixed_ok=False)
        logp, t1, scale = em.tmp("logp"), em.tmp("target"), em.tmp("scale")
        em.note(op, logp=logp, target=t1, scale=scale)
        if not self._direct(em, op):
            f = em.const(ce_forward, "ce_forward")
            sums = em.const(_kernels("loss").cross_entropy_forward_sums, "ce_sums")
            em.f(f"{y}, {logp}, {t1}, {scale} = {f}({sums}, {em.v(z)}, {em.v(t)}, "
                 f"{em.v(w) if w is not None else None}, {a['ignore_index']!r}, "
                 f"{a['reduction']!r}, {a['label_smoothing']!r})")
            return
        # cross_entropy_forward_sums' steps: logp = x - rowmax (a buffer: the backward reads
        # it while the node owns this buffer set), e = exp(logp), the kernel, the reduction
        K = _kernels("loss")
        zs = em.slots[z]
        n, c = zs.shape
        dt = zs.dtype
        wname = em.v(w) if w is not None else em.const(K._EMPTY[dt], "no_weight")
        lp = em.buf((n, c), dt, "ce_logp")
        e = em.buf((n, c), dt, "ce_exp")
        sums = em.buf((2,), np.float64, "ce_sums")
        if a["reduction"] == "none":  # the rows are the result: fresh
            rows = em.tmp("rows")
            em.f(f"{rows} = np.empty({n}, {em.const(dt, 'dtype')})")
        else:
            rows = em.buf((n,), dt, "ce_rows")
        em.f(f"{t1} = {em.v(t)}")
        em.f(f"{em.const(K._shift_rows_kernel, 'shift_rows')}({em.v(z)}, {lp})")
        em.f(f"{em.const(np.exp, 'exp')}({lp}, out={e})")
        bad = em.tmp("bad")
        em.f(f"{bad} = {em.const(K._ce_forward_kernel, 'ce_fwd')}({lp}, {e}, {t1}, {wname}, "
             f"{int(a['ignore_index'])!r}, {float(a['label_smoothing'])!r}, {rows}, {sums})")
        em.f(f"{logp} = {lp}")
        em.f(f"{y}, {scale} = {em.const(ce_finish, 'ce_finish')}({rows}, {sums}, {t1}, {bad}, "
             f"{em.const(dt, 'dtype')}, {a['reduction']!r}, {em.slots[t].shape!r})")

    def backward(self, em, op):
        z, _, w = op.inputs
        if not em.rg(z):
            return
        a = op.attrs
        if not self._direct(em, op):
            f = em.const(ce_backward, "ce_backward")
            d = em.const(em.slots[z].dtype, "dtype")
            kb = em.const(_kernels("loss").cross_entropy_backward, "ce_bwd")
            em.add_grad(z, f"{f}({kb}, {em.g(op.out)}, {em.noted(op, 'logp')}, "
                           f"{em.noted(op, 'target')}, "
                           f"{em.v(w) if w is not None else None}, {a['ignore_index']!r}, "
                           f"{a['reduction']!r}, {a['label_smoothing']!r}, "
                           f"{em.noted(op, 'scale')}, {d})")
            return
        # ce_backward and cross_entropy_backward's steps on arrays that need no conversion
        K = _kernels("loss")
        zs = em.slots[z]
        n = zs.shape[0]
        dt = zs.dtype
        wname = em.v(w) if w is not None else em.const(K._EMPTY[dt], "no_weight")
        g = em.g(op.out)
        if a["reduction"] == "none":
            grows = em.tmp("grows")
            em.b(f"{grows} = {em.const(_kernels('elementwise').kernel_array, 'kernel_array')}("
                 f"{em.const(np.ascontiguousarray, 'contiguous')}({g}.reshape(-1)), "
                 f"{em.const(dt, 'dtype')})")
        else:
            grows = em.buf((n,), dt, "ce_grows")
            em.b(f"{grows}.fill({g}.reshape(()) * {em.noted(op, 'scale')})")
        out = em.tmp("ce_grad")
        em.b(f"{out} = {em.const(np.exp, 'exp')}({em.noted(op, 'logp')})")
        em.b(f"{em.const(K._ce_backward_kernel, 'ce_bwd')}({grows}, {out}, "
             f"{em.noted(op, 'target')}, {wname}, {int(a['ignore_index'])!r}, "
             f"{float(a['label_smoothing'])!r}, {out})")
        em.add_grad(z, out)

    def eager(self, op, vals, notes):
        z, t, w = vals
        a = op.attrs
        return _losses.cross_entropy_indices(z, t, w, a["ignore_index"], a["reduction"],
                                          a["label_smoothing"])


LOWERINGS = {
    "linear": Linear(),
    "relu": Relu(),
    "pointwise": Pointwise(),
    "reshape": Reshape(),
    "dropout": Dropout(),
    "batch_norm": BatchNorm(),
    "count": Count(),
    "cross_entropy": CrossEntropy(),
}

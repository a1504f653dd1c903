"""gradcheck / gradgradcheck: analytic gradients against central finite differences."""

from __future__ import annotations

import warnings

import numpy as np

from nnlite._grad_mode import enable_grad, no_grad
from nnlite._tensor import Tensor
from nnlite.autograd.engine import grad


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _outputs(func, inputs):
    out = _as_tuple(func(*inputs))
    return [o for o in out if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _numerical_jacobian(func, inputs, diff_idx, eps):
    """J[k][i] : (out_k.numel(), in_i.numel()) by central differences."""
    with no_grad():
        outs0 = _outputs(func, inputs)
        jac = [[np.zeros((o._data.size, inputs[i]._data.size)) for i in diff_idx] for o in outs0]
        for col, i in enumerate(diff_idx):
            x = inputs[i]._data
            flat = x.reshape(-1)  # a view for contiguous inputs
            if not np.shares_memory(flat, x):
                raise ValueError("gradcheck needs contiguous inputs")
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = [o._data.astype(np.float64).reshape(-1).copy() for o in _outputs(func, inputs)]
                flat[j] = orig - eps
                minus = [o._data.astype(np.float64).reshape(-1).copy() for o in _outputs(func, inputs)]
                flat[j] = orig
                for k in range(len(outs0)):
                    jac[k][col][:, j] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytical_jacobian(func, inputs, diff_idx):
    with enable_grad():
        outs = _outputs(func, inputs)
        jac = [[np.zeros((o._data.size, inputs[i]._data.size)) for i in diff_idx] for o in outs]
        for k, o in enumerate(outs):
            if not o._requires_grad:
                continue
            for r in range(o._data.size):
                go = np.zeros(o._data.size, o._data.dtype)
                go[r] = 1
                gs = grad([o], [inputs[i] for i in diff_idx],
                          grad_outputs=[Tensor._wrap(go.reshape(o._data.shape))],
                          retain_graph=True, allow_unused=True)
                for col, g in enumerate(gs):
                    if g is not None:
                        jac[k][col][r, :] = g._data.astype(np.float64).reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False, **_ignored) -> bool:
    """Check analytic gradients of ``func`` at ``inputs`` against finite differences.

    Inputs that require grad should be float64 for the comparison to be meaningful.
    """
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff_idx:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision."
            )
    num = _numerical_jacobian(func, inputs, diff_idx, eps)
    ana = _analytical_jacobian(func, inputs, diff_idx)
    for k in range(len(num)):
        for col, i in enumerate(diff_idx):
            a, n = ana[k][col], num[k][col]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {i},\n"
                        f"numerical:{n}\nanalytical:{a}\n"
                    )
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **_ignored) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> vjp(func, inputs, v)``."""
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    with enable_grad():
        outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [
            Tensor._wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype))
            .requires_grad_(True)
            for o in outs
        ]
    else:
        grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_order(*args):
        # The finite differences call this under no_grad; the first-order graph must still be
        # built (and differentiated with create_graph) or there is nothing to compare.
        ins, gos = args[:n_in], args[n_in:]
        with enable_grad():
            os_ = _outputs(func, ins)
            diff_ins = [ins[i] for i in diff_idx]
            keep = [(o, g) for o, g in zip(os_, gos) if o._requires_grad]
            if not keep:
                return ()
            gs = grad([o for o, _ in keep], diff_ins, grad_outputs=[g for _, g in keep],
                      create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_order, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
